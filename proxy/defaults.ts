/** Named defaults for every proxy setting (README "Configuration" lists them all). */
export const PROXY_DEFAULTS = {
  /** Local-stack contract ports (DESIGN.md). */
  listenHost: "127.0.0.1",
  port: 4432,
  httpPort: 9432,
  /** `<endpoint>.local.orochi.localhost`: region "local", domain "orochi.localhost". */
  domains: ["local.orochi.localhost"] as readonly string[],
  requireTls: true,
  /** Off: clients connect directly. On: only a load balancer sending PROXY v2 may connect. */
  proxyProtocol: false,
  /** Everything from accept to splice must finish within this (DESIGN.md step 1). */
  handshakeTimeoutMs: 15_000,
  /** PostgreSQL's own limit for startup packets (Neon's pqproto caps at the same). */
  maxStartupPacketBytes: 10_000,
  /** PasswordMessage (cleartext, password hack): PostgreSQL accepts up to 1000 bytes of password. */
  maxPasswordMessageBytes: 1_024,
  /** SASLInitialResponse / SASLResponse: SCRAM messages are ~100–300 bytes; generous headroom. */
  maxSaslMessageBytes: 4_096,
  /** Messages from the compute during login (ParameterStatus, notices, errors). */
  maxComputeLoginMessageBytes: 64 * 1024,
  maxClientConnections: 10_000,
  /** SIGTERM: wait this long for open sessions before closing them. */
  drainTimeoutMs: 30_000,
  /** TCP connect to a compute or pooler. */
  computeConnectTimeoutMs: 10_000,
  /** TCP keepalive on both legs so dead peers are noticed. */
  keepAliveInitialDelayMs: 60_000,
} as const;

/** Startup parameters forwarded to the compute (lower-case names); anything else is dropped. */
export const FORWARDED_STARTUP_PARAMETERS: ReadonlySet<string> = new Set([
  "application_name",
  "client_encoding",
  "datestyle",
  "intervalstyle",
  "timezone",
  "extra_float_digits",
  "search_path",
  "options",
  "statement_timeout",
  "lock_timeout",
  "idle_in_transaction_session_timeout",
  "idle_session_timeout",
  "default_transaction_isolation",
  "default_transaction_read_only",
  "standard_conforming_strings",
  "bytea_output",
  "geqo",
  "jit",
  "work_mem",
  "role",
]);
