import type { PoolerEntry } from "./port.js";

/**
 * PgBouncer's auth_file is global by user name, while two tenants may both have a role "app"
 * with different secrets. So every (endpoint, role) gets its own pooler-side user name,
 * `<role>@<endpoint>`; the endpoint's [databases] entry forces the real role (`user=<role>`) for
 * the server login. A forced user is a per-database object in PgBouncer, and SCRAM pass-through
 * copies the ClientKey of the client that authenticated into it, so each tenant's server logins
 * use only that tenant's key. The HBA file lets each pooler user into its own database only:
 * without it a client of tenant A could ask for tenant B's pool and be handed one of B's idle,
 * already authenticated server connections.
 * Role names are [a-z_][a-z0-9_]* and endpoint ids ep-[a-z0-9-]*, so "@" cannot be ambiguous;
 * 63 + 1 + 63 characters fit PgBouncer's user name limit.
 */
export function pgbouncerUserName(endpointId: string, role: string): string {
  return `${role}@${endpointId}`;
}

/** The pool's database name is the endpoint id: one [databases] entry per endpoint. */
export function pgbouncerDatabaseName(endpointId: string): string {
  return endpointId;
}

export interface PgBouncerFiles {
  authFile: string;
  hbaFile: string;
  logFile: string;
  pidFile: string;
}

export interface PgBouncerRenderInput {
  listenHost: string;
  listenPort: number;
  /** Admin console user (RELOAD) and its SCRAM secret. */
  adminUser: string;
  adminSecret: string;
  /** Source addresses (CIDR) allowed to connect: the proxies. */
  allowFrom: readonly string[];
  files: PgBouncerFiles;
  entries: readonly PoolerEntry[];
}

export interface PgBouncerRendered {
  ini: string;
  authFile: string;
  hbaFile: string;
}

/** Values in auth/hba files are double-quoted, with quotes doubled (PgBouncer's own escaping). */
const quote = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/** Connection-string values in [databases]: single-quoted, quotes and backslashes escaped. */
const connValue = (s: string): string => (/^[A-Za-z0-9_.@:-]+$/.test(s) ? s : `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`);

export function renderPgBouncer(input: PgBouncerRenderInput): PgBouncerRendered {
  const entries = [...input.entries].sort((a, b) => a.endpointId.localeCompare(b.endpointId));
  const databases = entries.map(
    (e) =>
      `${pgbouncerDatabaseName(e.endpointId)} = host=${connValue(e.computeHost)} port=${e.computePort} dbname=${connValue(e.database)} user=${connValue(e.role)} pool_size=${e.poolSize}`,
  );
  const ini = [
    "; written by the Orochi control plane: edits are overwritten",
    "[databases]",
    ...databases,
    "",
    "[pgbouncer]",
    `listen_addr = ${input.listenHost}`,
    `listen_port = ${input.listenPort}`,
    // No Unix socket: the pooler is reached over TCP only, and sockets in /tmp would collide.
    "unix_socket_dir =",
    "auth_type = hba",
    `auth_hba_file = ${input.files.hbaFile}`,
    `auth_file = ${input.files.authFile}`,
    "pool_mode = transaction",
    `admin_users = ${input.adminUser}`,
    "max_client_conn = 2000",
    "default_pool_size = 20",
    // Drivers send it at startup; PgBouncer would otherwise refuse the login.
    "ignore_startup_parameters = extra_float_digits",
    `logfile = ${input.files.logFile}`,
    `pidfile = ${input.files.pidFile}`,
    "",
  ].join("\n");
  const users = [
    `${quote(input.adminUser)} ${quote(input.adminSecret)}`,
    ...entries.map((e) => `${quote(pgbouncerUserName(e.endpointId, e.role))} ${quote(e.scramSecret)}`),
  ];
  const hba = ["# written by the Orochi control plane: each pooler user reaches its own database only"];
  for (const cidr of input.allowFrom) {
    hba.push(`host pgbouncer ${input.adminUser} ${cidr} scram-sha-256`);
    for (const e of entries) hba.push(`host ${pgbouncerDatabaseName(e.endpointId)} ${quote(pgbouncerUserName(e.endpointId, e.role))} ${cidr} scram-sha-256`);
  }
  return { ini, authFile: users.join("\n") + "\n", hbaFile: hba.join("\n") + "\n" };
}
