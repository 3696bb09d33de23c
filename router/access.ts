import type { ScramSecret } from "../common/scram/index.js";

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Where pooled sessions of an endpoint go, and what to say to the pooler at startup. */
export interface PoolerTarget {
  readonly address: HostPort;
  /** `database` to send to the pooler (default: the client's). */
  readonly database?: string | undefined;
  /** `user` to send to the pooler (default: the client's). */
  readonly user?: string | undefined;
}

/**
 * Everything the proxy needs to admit and route one (endpoint, role): the router's answer to
 * steps 3–4 of the connection lifecycle, whichever source it came from.
 */
export interface EndpointAccess {
  readonly endpointId: string;
  /** Compute units in force, for metering. */
  readonly cu: number;
  /** The compute's address when known; null when only a Wake can tell. */
  readonly compute: HostPort | null;
  readonly pooler: PoolerTarget | null;
  /** Compute lifecycle owned by the scheduler: wake it before connecting. */
  readonly managed: boolean;
  /** The role's verifier; null for roles that do not exist (the proxy fakes one). */
  readonly secret: ScramSecret | null;
  /** Source addresses allowed to connect (CIDR, range or single address); empty = all. */
  readonly allowedCidrs: readonly string[];
  /** Concurrent sessions allowed for the endpoint; undefined = no router-side limit. */
  readonly maxConnections?: number | undefined;
  /** Bumps whenever the control plane changes the endpoint (cache invalidation). */
  readonly version?: number | undefined;
}

/** A place that knows endpoints: a static file now, the control plane later. */
export interface RouteSource {
  /** null when the endpoint does not exist. */
  lookup(endpointId: string, role: string): Promise<EndpointAccess | null>;
  /** Drop whatever is cached for the endpoint (sources with a cache). */
  invalidateEndpoint?(endpointId: string): void;
  /** Drop everything cached (sources with a cache). */
  invalidateAll?(): void;
}

/** Parse "host:port" or "[v6]:port". */
export function parseHostPort(text: string): HostPort | null {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!m) return null;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { host: (m[1] ?? m[2])!, port };
}

export const formatHostPort = (a: HostPort): string => (a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);
