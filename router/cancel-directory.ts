import type { Logger } from "../common/log.js";
import { REDIS_RECORD_VERSION, redisKeys, type CancelKeyRecord } from "../common/redis-contract.js";
import type { CancelKeyMap, CancelTarget, ProxyCancelKey } from "./cancel-keys.js";
import type { SharedRedis } from "./redis/shared-redis.js";
import { RENEWALS_PER_TTL } from "./settings.js";

export interface CancelDirectoryOptions {
  redis: SharedRedis;
  /** This replica's keys: the directory mirrors them, never holds state of its own. */
  keys: CancelKeyMap;
  replicaId: string;
  ttlMs: number;
  log: Logger;
}

/**
 * The cancel keys of every replica in Redis, so a CancelRequest that lands on another replica
 * still reaches the right backend. New and ended sessions of one event-loop turn are written in
 * one batch; all live keys are rewritten every TTL/3 (SET, not PEXPIRE, so keys lost with a
 * restarted Redis come back) and at once when Redis returns after an outage. Nothing here runs
 * per message.
 */
export class CancelDirectory {
  private readonly toPublish = new Set<number>();
  private readonly toWithdraw: ProxyCancelKey[] = [];
  private flushScheduled = false;
  private readonly renewTimer: NodeJS.Timeout;

  constructor(private readonly opts: CancelDirectoryOptions) {
    this.renewTimer = setInterval(() => void this.renewAll(), Math.max(1, Math.floor(opts.ttlMs / RENEWALS_PER_TTL))).unref();
    opts.redis.onRecovered(() => void this.renewAll());
  }

  published(key: ProxyCancelKey): void {
    this.toPublish.add(key.processId);
    this.scheduleFlush();
  }

  withdrawn(key: ProxyCancelKey): void {
    if (this.toPublish.delete(key.processId)) return; // never written: nothing to delete
    this.toWithdraw.push(key);
    this.scheduleFlush();
  }

  /** The target another replica registered under this key; null when unknown or Redis is away. */
  async lookup(processId: number, secretKey: number): Promise<CancelTarget | null> {
    const r = await this.opts.redis.run("cancel_keys", (c) => c.get(redisKeys.cancelKey(processId, secretKey)));
    if (!r.ok || r.value === null) return null;
    return fromRecord(r.value);
  }

  close(): void {
    clearInterval(this.renewTimer);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const publish = [...this.toPublish].map((pid) => this.opts.keys.get(pid)).filter((e) => e !== null);
    const withdraw = this.toWithdraw.splice(0);
    this.toPublish.clear();
    await this.write(publish, withdraw);
  }

  private async renewAll(): Promise<void> {
    const all = [...this.opts.keys.entries()];
    if (all.length > 0) await this.write(all, []);
  }

  private async write(publish: Array<{ key: ProxyCancelKey; target: CancelTarget }>, withdraw: ProxyCancelKey[]): Promise<void> {
    if (publish.length === 0 && withdraw.length === 0) return;
    // Failures are not retried one by one: the next renewal rewrites every live key.
    // Issued in one tick: auto-pipelining sends them together.
    await this.opts.redis.run("cancel_keys", (c) =>
      Promise.all([
        ...publish.map(({ key, target }) =>
          c.set(redisKeys.cancelKey(key.processId, key.secretKey), JSON.stringify(toRecord(target, this.opts.replicaId)), "PX", this.opts.ttlMs),
        ),
        ...withdraw.map((key) => c.del(redisKeys.cancelKey(key.processId, key.secretKey))),
      ]),
    );
  }
}

function toRecord(t: CancelTarget, replica: string): CancelKeyRecord {
  return { v: REDIS_RECORD_VERSION, endpoint_id: t.endpointId, host: t.address.host, port: t.address.port, process_id: t.processId, secret_key: t.secretKey, replica };
}

function fromRecord(text: string): CancelTarget | null {
  try {
    const r = JSON.parse(text) as CancelKeyRecord;
    if (r.v !== REDIS_RECORD_VERSION) return null;
    return { endpointId: r.endpoint_id, address: { host: r.host, port: r.port }, processId: r.process_id, secretKey: r.secret_key };
  } catch {
    return null;
  }
}
