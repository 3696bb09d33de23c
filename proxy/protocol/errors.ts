/**
 * SQLSTATE codes the proxy sends, by meaning. Only these reach clients; anything unexpected is
 * logged and answered as `internal` without detail.
 */
export const SQLSTATE = {
  protocolViolation: "08P01",
  connectionFailure: "08006",
  rejectedEstablishment: "08004",
  invalidAuthorization: "28000",
  invalidPassword: "28P01",
  tooManyConnections: "53300",
  cannotConnectNow: "57P03",
  adminShutdown: "57P01",
  idleSessionTimeout: "57P05",
  featureNotSupported: "0A000",
  configurationLimitExceeded: "53400",
  internal: "XX000",
} as const;
export type SqlState = (typeof SQLSTATE)[keyof typeof SQLSTATE];

/**
 * Why a connection ended badly; doubles as the `outcome` metric label, so the set is closed.
 * (Neon's proxy tags errors the same way: user, clientdisconnect, ratelimit, compute, ...)
 */
export type ErrorKind =
  | "protocol" // malformed or unexpected client bytes
  | "auth" // wrong password / unknown role
  | "user" // the client asked for something we refuse (no endpoint, insecure, unsupported)
  | "routing" // endpoint unknown or not routable
  | "limit" // a limit was hit (connections, rates)
  | "timeout" // handshake deadline
  | "compute" // compute/pooler unreachable or refused us
  | "shutdown" // the proxy is draining
  | "disconnect" // the client went away mid-handshake
  | "internal";

/** An error meant for the client: SQLSTATE + a message a person can act on. */
export class ClientError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly sqlstate: SqlState,
    message: string,
    /** Internal context for the log line only; never sent to the client. */
    readonly detail?: string,
    /** Optional HINT field sent to the client. */
    readonly hint?: string,
  ) {
    super(message);
    this.name = "ClientError";
  }
}

export const protocolError = (message: string, detail?: string) =>
  new ClientError("protocol", SQLSTATE.protocolViolation, message, detail);

/** Turn anything thrown during a handshake into a ClientError safe to show. */
export function toClientError(err: unknown): ClientError {
  if (err instanceof ClientError) return err;
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return new ClientError("internal", SQLSTATE.internal, "internal error in the proxy; the incident was logged", detail);
}
