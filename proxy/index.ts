export { startProxy, type StartProxyOptions, type RunningProxy } from "./start.js";
export { proxyConfig, type ProxyConfig, type ProxyConfigInput } from "./config.js";
export { PROXY_DEFAULTS, FORWARDED_STARTUP_PARAMETERS } from "./defaults.js";
export { ProxyServer } from "./server.js";
export { ProxyMetrics } from "./metrics.js";
export { ensureLocalCertificates, type LocalCertificates } from "./tls/local-ca.js";
export { SQLSTATE } from "./protocol/errors.js";
