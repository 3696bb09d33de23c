import { setTimeout as sleep } from "node:timers/promises";
import { Pool } from "undici";
import type { EndpointAccess as WireAccess } from "../controlplane/internal-api.js";
import { parseScramSecret } from "../common/scram/index.js";
import type { EndpointAccess, RouteSource } from "./access.js";

export interface ControlPlaneSourceOptions {
  /** Base URL of the control plane, e.g. http://127.0.0.1:7432. */
  url: string;
  /** The internal token (Authorization: Bearer). */
  token: string;
  /** Per attempt: connect + headers + body. */
  timeoutMs?: number;
  /** Attempts per lookup for transport failures and 5xx (404 and 4xx are answers, not retried). */
  attempts?: number;
  /** Keep-alive connections to the control plane. */
  connections?: number;
}

export const CONTROL_PLANE_SOURCE_DEFAULTS = { timeoutMs: 2_000, attempts: 3, connections: 16, backoffMs: 50 } as const;

/**
 * Access info from the control plane's internal API (controlplane/internal-api.ts), over a
 * keep-alive undici pool with timeouts and bounded retries. Endpoints from the control plane are
 * always scheduler-managed: the proxy wakes them before connecting.
 */
export class ControlPlaneRouteSource implements RouteSource {
  private readonly pool: Pool;
  private readonly timeoutMs: number;
  private readonly attempts: number;

  constructor(private readonly opts: ControlPlaneSourceOptions) {
    const url = new URL(opts.url);
    this.timeoutMs = opts.timeoutMs ?? CONTROL_PLANE_SOURCE_DEFAULTS.timeoutMs;
    this.attempts = opts.attempts ?? CONTROL_PLANE_SOURCE_DEFAULTS.attempts;
    this.pool = new Pool(url.origin, {
      connections: opts.connections ?? CONTROL_PLANE_SOURCE_DEFAULTS.connections,
      connectTimeout: this.timeoutMs,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      keepAliveTimeout: 30_000,
    });
  }

  async lookup(endpointId: string, role: string): Promise<EndpointAccess | null> {
    const path = `/internal/v1/endpoints/${encodeURIComponent(endpointId)}/access?role=${encodeURIComponent(role)}`;
    let lastError: Error = new Error("no attempt made");
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      try {
        const res = await this.pool.request({
          method: "GET",
          path,
          headers: { authorization: `Bearer ${this.opts.token}`, accept: "application/json" },
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        const body = await res.body.text();
        if (res.statusCode === 200) return fromWire(JSON.parse(body) as WireAccess);
        if (res.statusCode === 404) return null;
        lastError = new Error(`control plane answered ${res.statusCode}: ${body.slice(0, 200)}`);
        if (res.statusCode < 500) throw Object.assign(lastError, { final: true });
      } catch (err) {
        if ((err as { final?: boolean }).final) throw err;
        lastError = err as Error;
      }
      if (attempt < this.attempts) await sleep(CONTROL_PLANE_SOURCE_DEFAULTS.backoffMs * 2 ** (attempt - 1));
    }
    throw lastError;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

function fromWire(a: WireAccess): EndpointAccess {
  const secret = a.role ? parseScramSecret(a.role.scram_secret) : null;
  if (a.role && !secret) throw new Error(`control plane sent a malformed verifier for ${a.endpoint_id}`);
  return {
    endpointId: a.endpoint_id,
    cu: a.cu,
    compute: a.compute,
    pooler: a.pooler ? { address: { host: a.pooler.host, port: a.pooler.port }, database: a.pooler.database, user: a.pooler.user } : null,
    managed: true,
    secret,
    allowedCidrs: a.allowed_cidrs,
    maxConnections: a.max_connections,
    version: a.version,
  };
}
