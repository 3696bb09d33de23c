import type { ChildProcess } from "node:child_process";

const children = new Set<ChildProcess>();
let hooked = false;

/**
 * Keep track of a process a benchmark started so that it never outlives the benchmark, even when
 * a suite fails half-way (its own cleanup may not run then).
 */
export function tracked<T extends ChildProcess>(child: T): T {
  children.add(child);
  child.once("exit", () => children.delete(child));
  if (!hooked) {
    hooked = true;
    process.once("exit", () => {
      for (const c of children) c.kill("SIGKILL");
    });
  }
  return child;
}
