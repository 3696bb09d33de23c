import { setTimeout as sleep } from "node:timers/promises";

/** Poll `check` until it holds. No deadline of its own: the test's timeout bounds it. */
export async function waitUntil(check: () => Promise<boolean> | boolean, intervalMs = 50): Promise<void> {
  while (!(await check())) await sleep(intervalMs);
}
