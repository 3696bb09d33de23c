/** Request codes that take the place of a protocol version in the first packet. */
export const PROTOCOL_CODES = {
  /** 1234.5679 */
  sslRequest: 80877103,
  /** 1234.5680 */
  gssEncRequest: 80877104,
  /** 1234.5678 */
  cancelRequest: 80877102,
} as const;

/** Protocol 3.0 as sent in StartupMessage. */
export const PROTOCOL_3_0 = 196608;
/** First byte of a TLS handshake record (PG17 direct TLS). */
export const TLS_HANDSHAKE_RECORD = 0x16;
/** ALPN protocol id libpq 17 sends and requires with direct TLS. */
export const ALPN_POSTGRESQL = "postgresql";

/** Frontend message tags the proxy reads before the splice. */
export const FRONTEND_TAGS = {
  password: 0x70, // 'p': PasswordMessage, SASLInitialResponse, SASLResponse
  terminate: 0x58, // 'X'
} as const;

/** Backend message tags the proxy writes or reads during login. */
export const BACKEND_TAGS = {
  authentication: 0x52, // 'R'
  backendKeyData: 0x4b, // 'K'
  errorResponse: 0x45, // 'E'
  noticeResponse: 0x4e, // 'N'
  parameterStatus: 0x53, // 'S'
  readyForQuery: 0x5a, // 'Z'
  negotiateProtocolVersion: 0x76, // 'v'
} as const;

/** Authentication request sub-codes inside 'R'. */
export const AUTH_CODES = {
  ok: 0,
  cleartextPassword: 3,
  md5Password: 5,
  sasl: 10,
  saslContinue: 11,
  saslFinal: 12,
} as const;
