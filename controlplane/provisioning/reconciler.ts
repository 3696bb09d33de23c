import { listClustersNeedingWork } from "../store/clusters.js";
import { errorSummary, type ProvisioningContext } from "./context.js";
import { convergeCluster } from "./converge.js";

export interface Reconciler {
  /** One pass over unconverged and purgeable clusters; returns how many converged. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Retries what failed midway (scheduler or pooler down during a request) and purges clusters
 * whose restore period ended. Runs every `intervalMs`, never two passes at once.
 */
export function startReconciler(ctx: ProvisioningContext, intervalMs: number): Reconciler {
  let running: Promise<number> | null = null;
  let stopped = false;
  const runOnce = (): Promise<number> => {
    if (running) return running;
    running = (async () => {
      let done = 0;
      const clusters = await listClustersNeedingWork(ctx.pool, new Date(Date.now() - ctx.retentionMs));
      for (const c of clusters) {
        if (stopped) break;
        try {
          await ctx.mutex.run(c.id, () => convergeCluster(ctx, c.id));
          done++;
        } catch (err) {
          ctx.logger.warn({ cluster: c.id, err: errorSummary(err) }, "reconcile failed; will retry");
        }
      }
      return done;
    })().finally(() => (running = null));
    return running;
  };
  const timer = setInterval(() => {
    runOnce().catch((err: unknown) => ctx.logger.warn({ err: errorSummary(err) }, "reconcile pass failed"));
  }, intervalMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
