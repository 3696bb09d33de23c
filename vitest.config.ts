import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "dist/**"],
    // Integration tests start real servers; the machine has 2 cores and slow process creation.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 2,
    fileParallelism: true,
    // Quiet in-process components; tests that read log lines set their own level.
    env: { OROCHI_LOG_LEVEL: process.env.OROCHI_LOG_LEVEL ?? "warn" },
    reporters: ["default", "json"],
    outputFile: { json: "test-results.json" },
  },
});
