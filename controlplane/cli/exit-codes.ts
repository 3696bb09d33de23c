/** Exit codes of the client commands (documented in controlplane/README.md). */
export const EXIT = {
  ok: 0,
  /** Anything else: an API error not listed below, an unexpected failure. */
  failure: 1,
  /** Bad arguments or configuration (no API key, bad --output, missing file). */
  usage: 2,
  /** The cluster (or other resource) does not exist in your organisation. */
  notFound: 3,
  /** The API key is missing, invalid, revoked or lacks the scope. */
  auth: 4,
  /** The control plane, scheduler or database could not be reached, or rate limited: retry. */
  unavailable: 5,
  /** The request conflicts with the current state (name taken, deleted cluster, ...). */
  conflict: 6,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** The exit code for an API error status. */
export function exitCodeForStatus(status: number): number {
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  if (status === 409 || status === 422) return EXIT.conflict;
  if (status === 429 || status === 503 || status === 502 || status === 504) return EXIT.unavailable;
  if (status === 400 || status === 413 || status === 415) return EXIT.usage;
  return EXIT.failure;
}
