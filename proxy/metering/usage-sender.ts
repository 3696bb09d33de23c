import { Pool, errors as undiciErrors } from "undici";
import type { UsageBatch, UsageBatchResult, UsageRecord } from "../../controlplane/usage-api.js";
import { USAGE_INGEST_PATH } from "./defaults.js";

/** Stable codes of a failed send; `retryable` says whether sending the same batch again can help. */
export type UsageSendErrorCode =
  | "REJECTED" // 400/413/422: the batch breaks the contract
  | "UNAUTHORIZED" // 401/403: wrong token; keep the records and shout until fixed
  | "UNAVAILABLE" // 5xx, 408, 429, other statuses
  | "NETWORK" // connect/reset/timeout
  | "BAD_RESPONSE"; // 200 with a body that is not a UsageBatchResult

export class UsageSendError extends Error {
  constructor(
    readonly code: UsageSendErrorCode,
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
  }

  /** Everything except a contract breach is worth sending again: records are never dropped for an outage or a bad token. */
  get retryable(): boolean {
    return this.code !== "REJECTED";
  }
}

export interface UsageSenderOptions {
  /** Control plane base URL (path prefix allowed). */
  baseUrl: URL;
  token: string;
  proxyId: string;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  connections: number;
}

const REJECTING_STATUSES = new Set([400, 413, 422]);

/** POSTs usage batches to the control plane over a kept-alive undici pool. */
export class UsageSender {
  private readonly pool: Pool;
  private readonly path: string;

  constructor(private readonly opts: UsageSenderOptions) {
    this.pool = new Pool(opts.baseUrl.origin, {
      connections: opts.connections,
      connect: { timeout: opts.connectTimeoutMs },
      keepAliveTimeout: opts.keepAliveTimeoutMs,
      headersTimeout: opts.requestTimeoutMs,
      bodyTimeout: opts.requestTimeoutMs,
    });
    this.path = opts.baseUrl.pathname.replace(/\/+$/, "") + USAGE_INGEST_PATH;
  }

  async send(records: readonly UsageRecord[], signal?: AbortSignal): Promise<UsageBatchResult> {
    const batch: UsageBatch = { proxy_id: this.opts.proxyId, records: [...records] };
    let res: Awaited<ReturnType<Pool["request"]>>;
    try {
      res = await this.pool.request({
        path: this.path,
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${this.opts.token}` },
        body: JSON.stringify(batch),
        signal,
      });
    } catch (err) {
      throw new UsageSendError("NETWORK", networkMessage(err));
    }
    const text = await res.body.text().catch((err: unknown) => {
      throw new UsageSendError("NETWORK", networkMessage(err));
    });
    const status = res.statusCode;
    if (status === 200) return parseResult(text);
    const detail = errorDetail(text);
    if (REJECTING_STATUSES.has(status)) throw new UsageSendError("REJECTED", `control plane rejected the batch (${status}): ${detail}`, status);
    if (status === 401 || status === 403) throw new UsageSendError("UNAUTHORIZED", `control plane refused the internal token (${status}): ${detail}`, status);
    throw new UsageSendError("UNAVAILABLE", `control plane answered ${status}: ${detail}`, status);
  }

  async close(): Promise<void> {
    await this.pool.close().catch(() => this.pool.destroy());
  }
}

function parseResult(text: string): UsageBatchResult {
  try {
    const r = JSON.parse(text) as Partial<UsageBatchResult>;
    if (Number.isSafeInteger(r.accepted) && Number.isSafeInteger(r.duplicates)) return { accepted: r.accepted!, duplicates: r.duplicates! };
  } catch {
    // fall through
  }
  throw new UsageSendError("BAD_RESPONSE", "control plane acknowledged the batch with an unexpected body", 200);
}

/** The `{"error": {"code", "message"}}` of the API, or the start of whatever came back. */
function errorDetail(text: string): string {
  try {
    const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
    if (e?.code) return `${e.code}: ${e.message ?? ""}`;
  } catch {
    // not JSON
  }
  return text.slice(0, 200);
}

function networkMessage(err: unknown): string {
  if (err instanceof UsageSendError) return err.message;
  const e = err as { code?: string; message?: string };
  if (err instanceof undiciErrors.UndiciError || e.code) return `${e.code ?? "UND_ERR"}: ${e.message ?? String(err)}`;
  return e.message ?? String(err);
}
