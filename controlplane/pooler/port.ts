/**
 * The pooler as the control plane manages it: one entry per live endpoint, replaced as a whole
 * and applied by a reload (never a restart, so open sessions survive). Renderers for PgBouncer
 * and PgCat sit behind it.
 */
export interface PoolerEntry {
  endpointId: string;
  /** Compute address (fixed per endpoint, from the scheduler). */
  computeHost: string;
  computePort: number;
  database: string;
  role: string;
  /** As pg_authid stores it; the pooler verifies clients against it and logs in by pass-through. */
  scramSecret: string;
  /** Server connections the pool may open to the compute. */
  poolSize: number;
  /** Only for poolers that cannot hold SCRAM secrets (PgCat): the plaintext password. */
  password?: string;
}

/** What a proxy sends in its startup packet to reach an endpoint's pool. */
export interface PoolerLogin {
  host: string;
  port: number;
  database: string;
  user: string;
}

export interface Pooler {
  readonly kind: "pgbouncer" | "pgcat";
  /** Does this pooler need plaintext passwords in its entries? */
  readonly needsPlaintextPasswords: boolean;
  /** Replace every tenant entry and reload. Idempotent. */
  apply(entries: readonly PoolerEntry[]): Promise<void>;
  /** The startup database and user for (endpoint, role). */
  login(endpointId: string, role: string): PoolerLogin;
  close(): Promise<void>;
}
