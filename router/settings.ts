/** Limits and shared-state timings of the router; every one has a named default (README "Limits"). */
export interface RouterSettings {
  /** New connections per second per endpoint, across all replicas (token bucket refill). */
  readonly connectRatePerSecond: number;
  /** Connections per endpoint that may arrive at once after a quiet spell (bucket size). */
  readonly connectBurst: number;
  /** Failed authentications per (endpoint, source address) within the window before refusing it. */
  readonly authFailureLimit: number;
  readonly authFailureWindowMs: number;
  /** How long such a source is refused. */
  readonly authBlockMs: number;
  /** CancelRequests per second per source subnet (/24 IPv4, /64 IPv6), per replica. */
  readonly cancelRatePerSecond: number;
  readonly cancelBurst: number;
  /** A session's slot in the endpoint's count lives this long unless its replica renews it. */
  readonly sessionLeaseTtlMs: number;
  /** A session's cancel key lives this long in Redis unless its replica renews it. */
  readonly cancelKeyTtlMs: number;
  /** The wake lock expires after this unless its holder renews it (a crashed holder blocks no one longer). */
  readonly wakeLockTtlMs: number;
  /** How long the address a wake published is used by other replicas without waking again. */
  readonly computeAddressTtlMs: number;
  /** A Redis command without a reply by then fails and the local fallback answers. */
  readonly redisCommandTimeoutMs: number;
  readonly redisConnectTimeoutMs: number;
}

export const ROUTER_DEFAULTS: RouterSettings = Object.freeze({
  connectRatePerSecond: 500,
  connectBurst: 500,
  authFailureLimit: 10,
  authFailureWindowMs: 60_000,
  authBlockMs: 60_000,
  // A person presses Ctrl-C a few times a second at most; a brute force needs billions of tries.
  cancelRatePerSecond: 10,
  cancelBurst: 30,
  sessionLeaseTtlMs: 30_000,
  cancelKeyTtlMs: 60_000,
  wakeLockTtlMs: 5_000,
  computeAddressTtlMs: 60_000,
  // A local Redis answers in well under a millisecond; this only bounds the damage of a sick one.
  redisCommandTimeoutMs: 250,
  redisConnectTimeoutMs: 2_000,
});

/** Leases, cancel keys and wake locks are renewed this many times per TTL (a missed renewal is not fatal). */
export const RENEWALS_PER_TTL = 3;

/** What counts as one source: cancels per subnet, auth failures per address (IPv6: per /64, what one host usually gets). */
export const CANCEL_SUBNET_PREFIXES = { v4: 24, v6: 64 } as const;
export const AUTH_SOURCE_PREFIXES = { v4: 32, v6: 64 } as const;

const INTEGER_SETTINGS: ReadonlyArray<keyof RouterSettings> = [
  "connectBurst",
  "authFailureLimit",
  "authFailureWindowMs",
  "authBlockMs",
  "cancelBurst",
  "sessionLeaseTtlMs",
  "cancelKeyTtlMs",
  "wakeLockTtlMs",
  "computeAddressTtlMs",
  "redisCommandTimeoutMs",
  "redisConnectTimeoutMs",
];

/** Defaults filled in, each value checked (the message names the setting), frozen. */
export function resolveRouterSettings(input: Partial<RouterSettings> = {}): RouterSettings {
  const s: RouterSettings = { ...ROUTER_DEFAULTS, ...stripUndefined(input) };
  for (const [name, value] of Object.entries(s)) {
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) throw new Error(`router setting ${name} must be a positive number (got ${String(value)})`);
  }
  for (const name of INTEGER_SETTINGS) {
    if (!Number.isInteger(s[name])) throw new Error(`router setting ${name} must be a whole number (got ${s[name]})`);
  }
  return Object.freeze(s);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
