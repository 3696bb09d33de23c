import type { Logger } from "../common/log.js";
import type { EndpointAccess, HostPort, RouteSource } from "./access.js";
import { CancelKeyMap } from "./cancel-keys.js";
import { RouterError } from "./errors.js";
import type { EndpointRequest } from "./endpoint-id.js";

/** Where to connect for a session, and what to tell the backend at startup. */
export interface ConnectTarget {
  readonly address: HostPort;
  /** Replaces the client's `database` in the backend startup packet (pooler aliases). */
  readonly database?: string | undefined;
  /** Replaces the client's `user` in the backend startup packet (pooler user names). */
  readonly user?: string | undefined;
  /** The target is the pooler (transaction pooling), not the compute. */
  readonly pooled: boolean;
}

export interface ConnectHooks {
  /** Called when the compute has to be started first (the proxy tells the client). */
  onWaking?: () => void;
}

export interface RouterOptions {
  source: RouteSource;
  log: Logger;
}

/**
 * Turns an endpoint request into a route (DESIGN.md steps 3–6): access info from the route
 * source, the address to connect to, and the cancel-key map shared by all sessions.
 */
export class Router {
  readonly cancelKeys = new CancelKeyMap();
  private readonly source: RouteSource;
  private readonly log: Logger;

  constructor(opts: RouterOptions) {
    this.source = opts.source;
    this.log = opts.log;
  }

  /** Access info for (endpoint, role); throws RouterError when the endpoint is unknown. */
  async access(request: EndpointRequest, role: string): Promise<EndpointAccess> {
    let access: EndpointAccess | null;
    try {
      access = await this.source.lookup(request.endpointId, role);
    } catch (err) {
      throw new RouterError("lookup_failed", "could not look up the endpoint right now; try again shortly", (err as Error).message);
    }
    if (!access) throw new RouterError("endpoint_not_found", `endpoint "${request.endpointId}" not found`);
    if (request.pooled && !access.pooler) {
      throw new RouterError("endpoint_unavailable", `endpoint "${request.endpointId}" has no connection pooler`, undefined,
        `Connect to "${request.endpointId}" without the -pooler suffix.`);
    }
    return access;
  }

  /** The address to log in to, waking the compute first when the scheduler owns it. */
  async target(access: EndpointAccess, pooled: boolean, _hooks: ConnectHooks = {}): Promise<ConnectTarget> {
    if (pooled) {
      const p = access.pooler!;
      return { address: p.address, database: p.database, user: p.user, pooled: true };
    }
    if (!access.compute) {
      this.log.warn({ endpoint: access.endpointId }, "endpoint is managed by a scheduler but none is configured");
      throw new RouterError("compute_unavailable", `the compute of endpoint "${access.endpointId}" is not reachable right now`);
    }
    return { address: access.compute, pooled: false };
  }
}
