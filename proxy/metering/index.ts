/**
 * proxy/metering: usage accounting (DESIGN.md "Usage"). See README.md in this folder for the
 * record format, the spool and its fsync policy, delivery and the label cardinality rule.
 *
 *   const meter = await startUsageMeter({ sessions: proxy.server.sessions, proxyId: proxy.config.proxyId,
 *     spoolDir, endpointUrl: "http://127.0.0.1:7432", token, log, registry: proxy.server.metrics.registry });
 *   …
 *   await proxy.close(); await meter.close();
 */
export { startUsageMeter, type UsageMeter } from "./usage-meter.js";
export type { UsageMeterOptions, UsageMeterLimits } from "./options.js";
export type { DeliveryOutcome } from "./usage-delivery.js";
export { USAGE_METER_DEFAULTS, USAGE_INGEST_PATH } from "./defaults.js";
export { OTHER_ENDPOINTS_LABEL } from "./endpoint-labels.js";
