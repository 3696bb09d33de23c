import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc's CPU times (100 on Linux almost everywhere; asked once). */
const TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

/**
 * CPU time a process has used so far, in milliseconds (Linux /proc/<pid>/stat: utime + stime, and
 * with `children` the reaped children's cutime + cstime, which is where a forking server such as
 * the postmaster accounts its finished backends). Resolution: one clock tick (10 ms).
 */
export function processCpuMs(pid: number, opts: { children?: boolean } = {}): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Field 2 (comm) is in parentheses and may contain spaces: count fields after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const at = (field: number) => Number(fields[field - 3]);
  const ticks = at(14) + at(15) + (opts.children ? at(16) + at(17) : 0);
  return (ticks * 1000) / TICKS_PER_SECOND;
}
