#!/usr/bin/env node
// `npm start`: install dependencies if this is a fresh checkout, build, then run `orochi up`
// in the foreground. Ctrl-C reaches `orochi up` (same process group), which stops everything.
import { spawnSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const step = (args) => {
  const r = spawnSync(npm, args, { cwd: root, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
if (!existsSync(join(root, "node_modules", ".package-lock.json"))) {
  process.stderr.write("installing dependencies (npm ci)…\n");
  step(["ci"]);
}
process.stderr.write("building…\n");
step(["run", "--silent", "build"]);
const child = spawn(process.execPath, [join(root, "dist", "bin", "orochi.js"), "up", ...process.argv.slice(2)], { stdio: "inherit" });
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
