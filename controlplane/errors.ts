/**
 * Every error the REST API can answer, with its HTTP status. The codes are a contract: clients
 * (the CLI, platform tooling) branch on them, so they never change meaning. The table in
 * controlplane/README.md documents the same list.
 */
export const ERROR_CODES = {
  unauthenticated: 401,
  invalid_api_key: 401,
  forbidden: 403,
  not_found: 404,
  cluster_not_found: 404,
  api_key_not_found: 404,
  endpoint_not_found: 404,
  method_not_allowed: 405,
  cluster_name_taken: 409,
  invalid_state: 409,
  idempotency_key_in_progress: 409,
  body_too_large: 413,
  unsupported_media_type: 415,
  malformed_json: 400,
  invalid_request: 400,
  unknown_field: 400,
  idempotency_key_reused: 422,
  rate_limited: 429,
  internal_error: 500,
  scheduler_unavailable: 503,
  pooler_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

/** An error meant for the API client: its message is safe to show, its code is stable. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra response headers (Retry-After for 429). */
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = ERROR_CODES[code];
    this.headers = headers;
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

/**
 * A dependency (scheduler, pooler) failed. The operation may be retried as is: the store keeps
 * the desired state and the reconciler converges it.
 */
export class DependencyError extends ApiError {
  constructor(code: "scheduler_unavailable" | "pooler_unavailable", message: string, readonly detail: unknown) {
    super(code, message);
    this.name = "DependencyError";
  }
}
