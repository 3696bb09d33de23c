/**
 * A proxy process for the metering benchmark: the same startProxy as `orochi proxy`, with a
 * usage meter attached when --usage-url is given (until `orochi proxy` has the flags itself).
 *
 *   node dist/bench/lib/metered-proxy-main.js --listen 127.0.0.1:0 --routes F --state-dir D
 *     [--usage-url URL --usage-token T --usage-spool-dir S]
 *
 * Prints one JSON line {"event":"ready","port":…,"ca_file":…} like `orochi proxy`; SIGINT or
 * SIGTERM closes the proxy, then the meter (which delivers what is left).
 */
import { parseArgs } from "node:util";
import { onShutdownSignals, parseListen } from "../../common/cli-options.js";
import { createLogger } from "../../common/log.js";
import { startProxy } from "../../proxy/index.js";
import { startUsageMeter, type UsageMeter } from "../../proxy/metering/index.js";

const { values } = parseArgs({
  options: {
    listen: { type: "string", default: "127.0.0.1:0" },
    routes: { type: "string" },
    "state-dir": { type: "string" },
    "usage-url": { type: "string" },
    "usage-token": { type: "string" },
    "usage-spool-dir": { type: "string" },
  },
});
if (!values.routes || !values["state-dir"]) throw new Error("--routes and --state-dir are required");
const listen = parseListen(values.listen!);
const log = createLogger("proxy");
const proxy = await startProxy({
  routesFile: values.routes,
  stateDir: values["state-dir"],
  log,
  config: { listenHost: listen.host, port: listen.port, httpPort: null },
});
let meter: UsageMeter | null = null;
if (values["usage-url"]) {
  if (!values["usage-token"] || !values["usage-spool-dir"]) throw new Error("--usage-url needs --usage-token and --usage-spool-dir");
  meter = await startUsageMeter({
    sessions: proxy.server.sessions,
    proxyId: proxy.config.proxyId,
    spoolDir: values["usage-spool-dir"],
    endpointUrl: values["usage-url"],
    token: values["usage-token"],
    log,
    registry: proxy.server.metrics.registry,
  });
}
const shutdown = async () => {
  await proxy.close();
  await meter?.close();
};
onShutdownSignals({ SIGTERM: shutdown, SIGINT: shutdown });
process.stdout.write(JSON.stringify({ event: "ready", port: proxy.port, ca_file: proxy.caFile, metering: meter !== null }) + "\n");
