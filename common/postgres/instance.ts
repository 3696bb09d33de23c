import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pgBin } from "./binaries.js";
import { chownToServerUser, serverSpawnIds } from "./server-user.js";

export interface StartPostgresOptions {
  dataDir: string;
  port: number;
  /** listen_addresses; default 127.0.0.1. Empty string = Unix socket only. */
  listen?: string;
  /** Directory for the Unix socket; default the data directory. */
  socketDir?: string;
  /** Extra GUCs passed as -c name=value. */
  settings?: Record<string, string | number | boolean>;
  /** Survive our own exit (scheduler computes are adopted after a restart). Output goes to logFile. */
  detached?: boolean;
  /** Server log file; default <dataDir>/postgres.log. */
  logFile?: string;
  /** Give up waiting for "ready" after this long. */
  readyTimeoutMs?: number;
}

export interface PostgresProcess {
  readonly pid: number;
  readonly port: number;
  readonly socketDir: string;
  readonly dataDir: string;
  /** Resolves when the postmaster exits (only for processes we started and did not detach). */
  readonly exited: Promise<number | null>;
}

/**
 * Start `postgres` directly (pg_ctl polls slowly) and return once postmaster.pid says "ready".
 * Runs as the unprivileged server user when we are root.
 */
export async function startPostgres(opts: StartPostgresOptions): Promise<PostgresProcess> {
  const socketDir = opts.socketDir ?? opts.dataDir;
  mkdirSync(socketDir, { recursive: true, mode: 0o700 });
  chownToServerUser(socketDir);
  const args = ["-D", opts.dataDir, "-p", String(opts.port), "-k", socketDir, "-c", `listen_addresses=${opts.listen ?? "127.0.0.1"}`];
  for (const [k, v] of Object.entries(opts.settings ?? {})) args.push("-c", `${k}=${String(v)}`);
  const logFile = opts.logFile ?? join(opts.dataDir, "postgres.log");
  const logFd = openSync(logFile, "a", 0o600);
  let child: ChildProcess;
  try {
    chownToServerUser(logFile);
    child = spawn(pgBin("postgres"), args, {
      ...serverSpawnIds(),
      detached: opts.detached ?? false,
      stdio: ["ignore", logFd, logFd],
      env: { ...process.env, LC_ALL: "C.UTF-8" },
    });
  } finally {
    closeSync(logFd);
  }
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.once("error", () => resolve(null));
  });
  if (opts.detached) child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error("postgres failed to spawn");
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  let dead = false;
  void exited.then(() => (dead = true));
  while (!(await isReady(opts.dataDir, pid))) {
    if (dead) throw new Error(`postgres exited during start-up; see ${logFile}: ${tail(logFile)}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`postgres not ready after ${opts.readyTimeoutMs ?? 30_000} ms; see ${logFile}`);
    }
    await sleep(5);
  }
  return { pid, port: opts.port, socketDir, dataDir: opts.dataDir, exited };
}

/** postmaster.pid line 8 is the postmaster's status; "ready" once it accepts connections. */
export async function isReady(dataDir: string, pid?: number): Promise<boolean> {
  const lines = readPidFile(dataDir);
  if (!lines) return false;
  if (pid !== undefined && Number(lines[0]) !== pid) return false;
  return (lines[7] ?? "").trim() === "ready";
}

/** The lines of postmaster.pid, or null when absent. */
export function readPidFile(dataDir: string): string[] | null {
  try {
    return readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n");
  } catch {
    return null;
  }
}

/** Is a process with this pid alive (signal 0)? */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export type ShutdownMode = "smart" | "fast" | "immediate";
const SIGNALS: Record<ShutdownMode, NodeJS.Signals> = { smart: "SIGTERM", fast: "SIGINT", immediate: "SIGQUIT" };

/** Signal the postmaster and wait until it is gone (SIGKILL after timeoutMs). */
export async function stopPostgres(pid: number, mode: ShutdownMode = "fast", timeoutMs = 30_000): Promise<void> {
  try {
    process.kill(pid, SIGNALS[mode]);
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (processAlive(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
    await sleep(5);
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-6).join("\n");
  } catch {
    return "";
  }
}
