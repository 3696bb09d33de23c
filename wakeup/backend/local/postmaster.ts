import { readdirSync, readlinkSync, realpathSync, rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { processAlive, readPidFile } from "../../../common/postgres/index.js";

/**
 * What postmaster.pid says about a data directory, checked against the process table:
 * - absent:   no lock file (clean shutdown, or never started)
 * - dead:     a lock file whose postmaster is gone (kill -9, crash): stale, needs clean-up
 * - starting / ready / stopping: a live postmaster of this data directory in that phase
 */
export type PostmasterStatus =
  | { kind: "absent" }
  | { kind: "dead"; pid: number }
  | { kind: "starting" | "ready" | "stopping"; pid: number };

const POLL_MS = 5;
const HAS_PROC = safe(() => readdirSync("/proc").length > 0, false);

export function postmasterStatus(dataDir: string): PostmasterStatus {
  const lines = readPidFile(dataDir);
  if (!lines) return { kind: "absent" };
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0) return { kind: "dead", pid: 0 }; // half-written lock file
  if (!isPostgresOf(pid, dataDir)) return { kind: "dead", pid };
  const phase = (lines[7] ?? "").trim();
  if (phase === "ready") return { kind: "ready", pid };
  if (phase === "stopping") return { kind: "stopping", pid };
  return { kind: "starting", pid };
}

/**
 * Is `pid` a live (not zombie) postgres process working in `dataDir`? Every postgres process
 * chdirs to its data directory, so /proc/<pid>/cwd identifies it even after the pid was reused
 * by an unrelated process. A zombie has no cwd. Without /proc, fall back to signal 0.
 */
export function isPostgresOf(pid: number, dataDir: string): boolean {
  if (!HAS_PROC) return processAlive(pid);
  return cwdIs(pid, realDir(dataDir));
}

function cwdIs(pid: number, dir: string): boolean {
  return safe(() => readlinkSync(`/proc/${pid}/cwd`), null) === dir;
}

/** Wait while the status is one of `kinds`; false when `timeoutMs` passed first. */
export async function waitWhile(dataDir: string, kinds: ReadonlyArray<PostmasterStatus["kind"]>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (kinds.includes(postmasterStatus(dataDir).kind)) {
    if (Date.now() > deadline) return false;
    await sleep(POLL_MS);
  }
  return true;
}

/**
 * Clean up after a postmaster that died without shutting down: kill its orphaned children, then
 * drop the stale lock files so the next postmaster does not mistake a reused pid for a live one.
 */
export async function cleanUpAfterDeath(dataDir: string, socketDir: string, port: number, timeoutMs: number): Promise<void> {
  await killOrphans(dataDir, timeoutMs);
  rmSync(join(dataDir, "postmaster.pid"), { force: true });
  rmSync(join(socketDir, `.s.PGSQL.${port}.lock`), { force: true });
}

/**
 * SIGKILL every process still working in `dataDir`. Each postgres child is its own session
 * leader, so a process-group kill would not reach them; left alone, a child of a killed
 * postmaster keeps the old shared memory segment attached and the next start refuses to run.
 */
export async function killOrphans(dataDir: string, timeoutMs: number): Promise<void> {
  const orphans = processesIn(dataDir);
  for (const pid of orphans) signal(pid, "SIGKILL");
  const deadline = Date.now() + timeoutMs;
  while (orphans.some((pid) => isPostgresOf(pid, dataDir)) && Date.now() < deadline) await sleep(POLL_MS);
}

/**
 * Fast shutdown (SIGINT: sessions are terminated, a shutdown checkpoint is written so the next
 * start needs no recovery). Escalates to immediate (SIGQUIT) and then SIGKILL of every process in
 * the data directory if the deadline passes. Zombies count as gone: an adopted postmaster's parent
 * is init, which may reap late.
 */
export async function stopPostmaster(pid: number, dataDir: string, timeoutMs: number): Promise<void> {
  signal(pid, "SIGINT");
  const deadline = Date.now() + timeoutMs;
  let escalated = false;
  while (isPostgresOf(pid, dataDir)) {
    if (Date.now() > deadline) {
      if (escalated) {
        for (const p of [pid, ...processesIn(dataDir)]) signal(p, "SIGKILL");
        return;
      }
      signal(pid, "SIGQUIT");
      escalated = true;
    }
    await sleep(POLL_MS);
  }
}

/** Live processes whose working directory is `dataDir` (the postmaster and its children). */
function processesIn(dataDir: string): number[] {
  if (!HAS_PROC) return [];
  const dir = realDir(dataDir);
  const found: number[] = [];
  for (const entry of safe(() => readdirSync("/proc"), [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid !== process.pid && cwdIs(pid, dir)) found.push(pid);
  }
  return found;
}

function realDir(dir: string): string {
  return safe(() => realpathSync(dir), dir);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

