import { readFile } from "node:fs/promises";
import { z } from "zod";
import { parseScramSecret, type ScramSecret } from "../common/scram/index.js";
import type { Logger } from "../common/log.js";
import { type EndpointAccess, type HostPort, type PoolerTarget, type RouteSource, parseHostPort } from "./access.js";
import { ENDPOINT_ID_PATTERN } from "./endpoint-id.js";

/**
 * The static route table (`orochi proxy --routes FILE`), a contract:
 * {"endpoints": {"ep-demo-1": {"address": "127.0.0.1:55432", "pooled_address": "127.0.0.1:6432",
 *   "cu": 1, "roles": {"app": "SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>"}}}}
 * Optional per endpoint: "managed" (the scheduler owns the compute; address may be omitted),
 * "allowed_cidrs", "max_connections", "pooler_database", "pooler_user".
 */
const hostPort = z.string().refine((s) => parseHostPort(s) !== null, { message: "expected host:port" });
const scramSecret = z.string().refine((s) => parseScramSecret(s) !== null, {
  message: "expected a SCRAM-SHA-256 verifier as stored in pg_authid.rolpassword",
});
const endpointSchema = z
  .object({
    address: hostPort.optional(),
    pooled_address: hostPort.optional(),
    pooler_database: z.string().min(1).optional(),
    pooler_user: z.string().min(1).optional(),
    cu: z.number().positive().max(64).default(1),
    managed: z.boolean().default(false),
    roles: z.record(z.string().min(1).max(63), scramSecret),
    allowed_cidrs: z.array(z.string()).default([]),
    max_connections: z.number().int().positive().optional(),
  })
  .strict()
  .refine((e) => e.address !== undefined || e.managed, { message: "address is required unless managed is true" });
const fileSchema = z
  .object({
    endpoints: z.record(z.string(), endpointSchema).superRefine((endpoints, ctx) => {
      for (const id of Object.keys(endpoints)) {
        if (!ENDPOINT_ID_PATTERN.test(id)) {
          ctx.addIssue({ code: "custom", path: [id], message: 'endpoint ids look like "ep-" + lowercase letters, digits and "-" (at most 63 characters)' });
        }
      }
    }),
  })
  .strict();

interface StaticEndpoint {
  readonly endpointId: string;
  readonly cu: number;
  readonly compute: HostPort | null;
  readonly pooler: PoolerTarget | null;
  readonly managed: boolean;
  readonly roles: ReadonlyMap<string, ScramSecret>;
  readonly allowedCidrs: readonly string[];
  readonly maxConnections: number | undefined;
}

/** Parse and validate a route file's text; throws with every problem named. */
export function parseRouteTable(text: string): Map<string, StaticEndpoint> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`route file is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new Error(`route file is invalid: ${problems}`);
  }
  const table = new Map<string, StaticEndpoint>();
  for (const [endpointId, e] of Object.entries(parsed.data.endpoints)) {
    const pooledAddress = e.pooled_address ? parseHostPort(e.pooled_address)! : null;
    table.set(endpointId, {
      endpointId,
      cu: e.cu,
      compute: e.address ? parseHostPort(e.address)! : null,
      pooler: pooledAddress ? { address: pooledAddress, database: e.pooler_database, user: e.pooler_user } : null,
      managed: e.managed,
      roles: new Map(Object.entries(e.roles).map(([role, s]) => [role, parseScramSecret(s)!])),
      allowedCidrs: e.allowed_cidrs,
      maxConnections: e.max_connections,
    });
  }
  return table;
}

/**
 * A route source backed by a JSON file. reload() (wired to SIGHUP) swaps the table atomically;
 * a broken file is reported and the previous table kept, so open sessions and new connections
 * carry on.
 */
export class StaticRouteSource implements RouteSource {
  private table = new Map<string, StaticEndpoint>();
  private version = 0;

  private constructor(
    readonly file: string,
    private readonly log: Logger,
  ) {}

  static async open(file: string, log: Logger): Promise<StaticRouteSource> {
    const source = new StaticRouteSource(file, log);
    source.table = parseRouteTable(await readFile(file, "utf8"));
    log.info({ file, endpoints: source.table.size }, "route table loaded");
    return source;
  }

  get size(): number {
    return this.table.size;
  }

  /** Re-read the file; returns false (and keeps the old table) when it is broken. */
  async reload(): Promise<boolean> {
    try {
      const next = parseRouteTable(await readFile(this.file, "utf8"));
      this.table = next;
      this.version++;
      this.log.info({ file: this.file, endpoints: next.size }, "route table reloaded");
      return true;
    } catch (err) {
      this.log.error({ file: this.file, err: (err as Error).message }, "route table reload failed; keeping the previous table");
      return false;
    }
  }

  async lookup(endpointId: string, role: string): Promise<EndpointAccess | null> {
    const e = this.table.get(endpointId);
    if (!e) return null;
    return {
      endpointId,
      cu: e.cu,
      compute: e.compute,
      pooler: e.pooler,
      managed: e.managed,
      secret: e.roles.get(role) ?? null,
      allowedCidrs: e.allowedCidrs,
      maxConnections: e.maxConnections,
      version: this.version,
    };
  }
}
