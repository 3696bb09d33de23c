import type pg from "pg";
import type { Logger } from "../../common/log.js";
import type { SecretBox } from "../crypto/secret-box.js";
import { DependencyError } from "../errors.js";
import type { Pooler } from "../pooler/port.js";
import type { SchedulerPort } from "../scheduler/port.js";
import type { EndpointEvents } from "./events.js";
import type { KeyedMutex } from "./keyed-mutex.js";

/** What the provisioning flows share. */
export interface ProvisioningContext {
  pool: pg.Pool;
  box: SecretBox;
  scheduler: SchedulerPort | null;
  pooler: Pooler | null;
  events: EndpointEvents;
  mutex: KeyedMutex;
  logger: Logger;
  region: string;
  /** Soft-deleted clusters can be restored for this long, then they are deprovisioned. */
  retentionMs: number;
}

/** Call the scheduler; any failure becomes a retryable 503 (details logged, not shown). */
export async function callScheduler<T>(ctx: ProvisioningContext, what: string, fn: (s: SchedulerPort) => Promise<T>): Promise<T> {
  if (!ctx.scheduler) throw new DependencyError("scheduler_unavailable", "no scheduler is configured for this control plane", null);
  try {
    return await fn(ctx.scheduler);
  } catch (err) {
    ctx.logger.warn({ err: errorSummary(err), call: what }, "scheduler call failed");
    throw new DependencyError("scheduler_unavailable", `the scheduler could not ${what}; the request can be retried`, err);
  }
}

/** Message and code of an error, never its stack or request payloads (which may hold secrets). */
export function errorSummary(err: unknown): { message: string; code?: unknown } {
  if (err instanceof Error) return { message: err.message, code: (err as { code?: unknown }).code };
  return { message: String(err) };
}
