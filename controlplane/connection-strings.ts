/** How clients reach endpoints: the proxy's public face, from configuration. */
export interface ConnectionConfig {
  /**
   * The address clients dial. Set in the local stack (127.0.0.1): host names under
   * `<region>.<domain>` do not resolve there, so strings name this address and carry the endpoint
   * in `options`. Unset: strings name `<endpoint>.<region>.<domain>` and the proxy reads SNI.
   */
  proxyAddress: string | null;
  proxyPort: number;
  region: string;
  domain: string;
  /** CA that signed the proxy's certificate (the local CA); null = the system's trust store. */
  caFile: string | null;
}

export interface ConnectionInfo {
  connection_string: string;
  pooled_connection_string: string;
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  sslmode: "verify-full";
  /** The libpq `options` value the strings carry (null when the host name carries the endpoint). */
  options: string | null;
  pooled_options: string | null;
  /** The endpoint's host names (what SNI carries; resolvable in production only). */
  server_name: string;
  pooled_server_name: string;
  sslrootcert: string | null;
}

export function endpointHostName(cfg: ConnectionConfig, endpointId: string): string {
  return `${endpointId}.${cfg.region}.${cfg.domain}`;
}

/** Keep "/" readable in file paths; escape everything else a URL or libpq would misread. */
const encodeParam = (s: string): string => encodeURIComponent(s).replace(/%2F/g, "/");

/**
 * postgresql:// URLs that work verbatim in psql/pgbench (libpq) and node-postgres
 * (pg-connection-string): both read sslmode, sslrootcert and options from the query string.
 * sslmode=verify-full everywhere, because node-postgres verifies fully for any sslmode anyway;
 * the proxy's local certificate carries an IP SAN for 127.0.0.1 so verification passes when the
 * string names the address.
 */
export function connectionInfo(cfg: ConnectionConfig, target: { endpointId: string; database: string; user: string; password: string }): ConnectionInfo {
  const build = (endpoint: string): { url: string; options: string | null; host: string } => {
    const host = cfg.proxyAddress ?? endpointHostName(cfg, endpoint);
    const options = cfg.proxyAddress ? `endpoint=${endpoint}` : null;
    const params = ["sslmode=verify-full"];
    if (cfg.caFile) params.push(`sslrootcert=${encodeParam(cfg.caFile)}`);
    if (options) params.push(`options=${encodeParam(options)}`);
    const hostPart = host.includes(":") ? `[${host}]` : host;
    const url = `postgresql://${encodeURIComponent(target.user)}:${encodeURIComponent(target.password)}@${hostPart}:${cfg.proxyPort}/${encodeURIComponent(target.database)}?${params.join("&")}`;
    return { url, options, host };
  };
  const direct = build(target.endpointId);
  const pooled = build(`${target.endpointId}-pooler`);
  return {
    connection_string: direct.url,
    pooled_connection_string: pooled.url,
    host: direct.host,
    port: cfg.proxyPort,
    database: target.database,
    user: target.user,
    password: target.password,
    sslmode: "verify-full",
    options: direct.options,
    pooled_options: pooled.options,
    server_name: endpointHostName(cfg, target.endpointId),
    pooled_server_name: endpointHostName(cfg, `${target.endpointId}-pooler`),
    sslrootcert: cfg.caFile,
  };
}
