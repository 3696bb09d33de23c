import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";

/** Where Debian/Ubuntu install it; OROCHI_REDIS_SERVER overrides. */
export const REDIS_SERVER_BINARY = process.env.OROCHI_REDIS_SERVER ?? "/usr/bin/redis-server";
const READY_TIMEOUT_MS = 10_000;
const START_ATTEMPTS = 3;

/** A throwaway redis-server of our own (tests, benchmarks): free port, temp dir, no persistence. */
export interface EphemeralRedis {
  readonly port: number;
  /** redis://127.0.0.1:<port> */
  readonly url: string;
  readonly pid: number | undefined;
  /** Kill it at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Start it again on the same port (empty: nothing was persisted). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startEphemeralRedis(): Promise<EphemeralRedis> {
  const dir = mkdtempSync(join(tmpdir(), "orochi-redis-"));
  chmodSync(dir, 0o755);
  let port = 0;
  let child: ChildProcess | null = null;
  for (let attempt = 1; !child; attempt++) {
    port = await freePort();
    try {
      child = await launch(port, dir);
    } catch (err) {
      // Another process may have taken the port between freePort() and the bind.
      if (attempt >= START_ATTEMPTS) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  const stopChild = async (signal: NodeJS.Signals) => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((resolve) => c.once("exit", resolve));
    c.kill(signal);
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid;
    },
    kill: () => stopChild("SIGKILL"),
    async restart() {
      await stopChild("SIGKILL");
      child = await launch(port, dir);
    },
    async stop() {
      await stopChild("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function launch(port: number, dir: string): Promise<ChildProcess> {
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no", "--logfile", ""];
  const child = spawn(REDIS_SERVER_BINARY, args, { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => fail(new Error(`redis-server did not get ready within ${READY_TIMEOUT_MS} ms:\n${out}`)), READY_TIMEOUT_MS);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(err);
    };
    child.once("error", fail);
    child.once("exit", (code) => fail(new Error(`redis-server exited with ${code}:\n${out}`)));
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (!out.includes("Ready to accept connections")) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      child.stdout!.removeAllListeners("data");
      child.stdout!.resume();
      child.stderr!.resume();
      resolve(child);
    });
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  });
}
