import type { Logger } from "../common/log.js";
import { CancelDirectory } from "./cancel-directory.js";
import { CancelKeyMap, type CancelTarget, type ProxyCancelKey } from "./cancel-keys.js";
import { subnetKey } from "./ip-address.js";
import type { RejectionKind } from "./limits/admission.js";
import type { SharedRedis } from "./redis/shared-redis.js";
import { CANCEL_SUBNET_PREFIXES, type RouterSettings } from "./settings.js";
import { TokenBuckets } from "./token-bucket.js";

/** Where a CancelRequest goes, and how its key was found. */
export type CancelResolution =
  | { readonly outcome: "local"; readonly target: CancelTarget }
  | { readonly outcome: "redis"; readonly target: CancelTarget }
  | { readonly outcome: "unknown_key" }
  | { readonly outcome: "rate_limited" };

export interface CancelServiceOptions {
  redis: SharedRedis | null;
  replicaId: string;
  settings: RouterSettings;
  log: Logger;
  onRejection?: (kind: RejectionKind) => void;
}

/**
 * DESIGN.md step 8, the router's half: this replica's cancel keys (mirrored to Redis when it is
 * configured), and the lookup of a CancelRequest's key — this replica first, then the others
 * through Redis — behind a per-subnet rate limit, so guessing keys is as slow as it is futile.
 */
export class CancelService {
  private readonly keys = new CancelKeyMap();
  private readonly directory: CancelDirectory | null;
  private readonly perSubnet: TokenBuckets;

  constructor(private readonly opts: CancelServiceOptions) {
    this.directory = opts.redis
      ? new CancelDirectory({ redis: opts.redis, keys: this.keys, replicaId: opts.replicaId, ttlMs: opts.settings.cancelKeyTtlMs, log: opts.log })
      : null;
    this.perSubnet = new TokenBuckets({ ratePerSecond: opts.settings.cancelRatePerSecond, burst: opts.settings.cancelBurst });
  }

  /** A new session's key for the client (its BackendKeyData). */
  register(target: CancelTarget): ProxyCancelKey {
    const key = this.keys.register(target);
    this.directory?.published(key);
    return key;
  }

  unregister(processId: number): void {
    const removed = this.keys.unregister(processId);
    if (removed) this.directory?.withdrawn(removed.key);
  }

  async resolve(processId: number, secretKey: number, clientAddress: string): Promise<CancelResolution> {
    if (!this.perSubnet.take(subnetKey(clientAddress, CANCEL_SUBNET_PREFIXES) ?? "unknown")) {
      this.opts.onRejection?.("cancel_rate");
      return { outcome: "rate_limited" };
    }
    const local = this.keys.lookup(processId, secretKey);
    if (local) return { outcome: "local", target: local };
    const remote = await this.directory?.lookup(processId, secretKey);
    return remote ? { outcome: "redis", target: remote } : { outcome: "unknown_key" };
  }

  get size(): number {
    return this.keys.size;
  }

  close(): void {
    this.directory?.close();
  }
}
