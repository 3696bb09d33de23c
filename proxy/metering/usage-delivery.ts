import type { Logger } from "../../common/log.js";
import type { UsageBatchResult } from "../../controlplane/usage-api.js";
import { backoffDelayMs, sleepUnlessAborted } from "./backoff.js";
import type { MeterMetrics } from "./meter-metrics.js";
import type { SpoolBatch, UsageSpool } from "./spool.js";
import { UsageSendError, type UsageSender } from "./usage-sender.js";
import type { UsageRecord } from "./usage-record.js";

export interface DeliveryOptions {
  spool: UsageSpool;
  sender: UsageSender;
  metrics: MeterMetrics;
  log: Logger;
  batchMaxRecords: number;
  batchMaxBytes: number;
  /** Attempts per batch in one pass. */
  attempts: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** Aborts backoff waits and in-flight requests (close). */
  signal: AbortSignal;
}

export interface DeliveryOutcome {
  /** Records acknowledged in this pass. */
  sent: number;
  /** Records are still waiting (the control plane is unreachable, or the pass was aborted). */
  pending: boolean;
  /** Why the pass stopped early. */
  error?: string;
}

type Attempt = { kind: "ok"; result: UsageBatchResult } | { kind: "rejected"; error: UsageSendError } | { kind: "gave_up"; error: string };

/**
 * Empties the spool into the control plane, oldest first, one batch at a time: a batch is
 * acknowledged in the spool only after the control plane answered 200. A batch that keeps
 * failing with a retryable error stays in the spool for the next pass; one the control plane
 * refuses as invalid is retried record by record and the refused records go to rejected.jsonl.
 * Passes never overlap: a pass asked for while one runs starts when it ends (and is shared).
 */
export class UsageDelivery {
  private running: Promise<DeliveryOutcome> | null = null;
  private queued: Promise<DeliveryOutcome> | null = null;

  constructor(private readonly opts: DeliveryOptions) {}

  deliver(): Promise<DeliveryOutcome> {
    if (this.queued) return this.queued;
    if (!this.running) return this.start();
    this.queued = this.running.then(() => {
      this.queued = null;
      return this.start();
    });
    return this.queued;
  }

  private start(): Promise<DeliveryOutcome> {
    const run = this.pass().finally(() => {
      if (this.running === run) this.running = null;
    });
    this.running = run;
    return run;
  }

  private async pass(): Promise<DeliveryOutcome> {
    const { spool, metrics } = this.opts;
    let sent = 0;
    for (;;) {
      if (this.opts.signal.aborted) return { sent, pending: true, error: "closing" };
      const batch = await spool.readBatch(this.opts.batchMaxRecords, this.opts.batchMaxBytes);
      metrics.spoolBytes.set(spool.bytes);
      if (!batch) {
        metrics.oldestPendingSeconds.set(0);
        return { sent, pending: false };
      }
      metrics.oldestPendingSeconds.set(Math.max(0, (Date.now() - Date.parse(batch.records[0]!.minute)) / 1000));
      const attempt = await this.sendWithRetry(batch.records);
      if (attempt.kind === "gave_up") {
        metrics.batches.inc({ result: "gave_up" });
        this.opts.log.warn({ records: batch.records.length, pending_bytes: spool.pendingBytes, error: attempt.error }, "usage batch not delivered; kept in the spool for the next pass");
        return { sent, pending: true, error: attempt.error };
      }
      if (attempt.kind === "rejected") {
        const delivered = await this.deliverOneByOne(batch, attempt.error);
        if (delivered === null) return { sent, pending: true, error: attempt.error.message };
        sent += delivered;
        continue;
      }
      await spool.ack(batch.end);
      this.counted(attempt.result);
      metrics.batches.inc({ result: "ok" });
      sent += batch.records.length;
    }
  }

  /**
   * The control plane refused a batch as invalid: find the records it refuses by sending them
   * one at a time, keep those in rejected.jsonl, and acknowledge the batch. Null when the
   * control plane became unreachable meanwhile (the whole batch is sent again later).
   */
  private async deliverOneByOne(batch: SpoolBatch, cause: UsageSendError): Promise<number | null> {
    const refused: UsageRecord[] = [];
    let delivered = 0;
    const singles = batch.records.length > 1 ? batch.records : [];
    for (const record of singles) {
      const attempt = await this.sendWithRetry([record]);
      if (attempt.kind === "gave_up") return null;
      if (attempt.kind === "rejected") refused.push(record);
      else {
        this.counted(attempt.result);
        delivered++;
      }
    }
    if (singles.length === 0) refused.push(...batch.records);
    if (refused.length === 0) {
      await this.opts.spool.ack(batch.end);
      return delivered;
    }
    await this.opts.spool.reject({ records: refused, end: batch.end }, cause.message);
    this.opts.metrics.batches.inc({ result: "rejected" });
    this.opts.metrics.recordsSent.inc({ result: "rejected" }, refused.length);
    for (const r of refused) {
      this.opts.log.error({ endpoint: r.endpoint_id, record: r.id, minute: r.minute, error: cause.message }, "usage record rejected by the control plane; kept in rejected.jsonl");
    }
    return delivered;
  }

  private async sendWithRetry(records: readonly UsageRecord[]): Promise<Attempt> {
    const o = this.opts;
    let last = "";
    for (let attempt = 1; attempt <= o.attempts; attempt++) {
      try {
        return { kind: "ok", result: await o.sender.send(records, o.signal) };
      } catch (err) {
        if (err instanceof UsageSendError && !err.retryable) return { kind: "rejected", error: err };
        last = (err as Error).message;
        if (err instanceof UsageSendError && err.code === "UNAUTHORIZED") o.log.error({ error: last }, "usage delivery refused: check the internal token (--usage-token); records are kept");
        if (attempt === o.attempts) break;
        o.metrics.batches.inc({ result: "retry" });
        if (!(await sleepUnlessAborted(backoffDelayMs(attempt - 1, o.retryBaseDelayMs, o.retryMaxDelayMs), o.signal))) break;
      }
    }
    return { kind: "gave_up", error: last };
  }

  private counted(result: UsageBatchResult): void {
    this.opts.metrics.recordsSent.inc({ result: "accepted" }, result.accepted);
    this.opts.metrics.recordsSent.inc({ result: "duplicate" }, result.duplicates);
  }
}
