import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { collect, onShutdownSignals, parseListen, parsePositiveInt } from "../common/cli-options.js";
import { createLogger } from "../common/log.js";
import { defaultStateDir } from "../common/paths.js";
import { ROUTE_CACHE_DEFAULTS, ROUTER_DEFAULTS, type RouterSettings } from "../router/index.js";
import { PROXY_DEFAULTS } from "./defaults.js";
import { USAGE_METER_DEFAULTS } from "./metering/index.js";
import { startProxy } from "./start.js";

interface ProxyCliOptions {
  routes?: string;
  controlPlane?: string;
  controlPlaneToken?: string;
  routeCacheTtl: number;
  usageUrl?: string;
  usageToken?: string;
  usageSpoolDir?: string;
  usageMaxSpoolBytes?: number;
  usageLabeledEndpoint?: string[];
  scheduler?: string;
  schedulerToken?: string;
  schedulerCa?: string;
  listen: { host: string; port: number };
  httpListen: { host: string; port: number };
  http: boolean;
  domain?: string[];
  tlsCert: string[];
  tlsKey: string[];
  stateDir: string;
  allowInsecure: boolean;
  proxyProtocol: boolean;
  handshakeTimeout: number;
  maxStartupPacket: number;
  maxPasswordMessage: number;
  maxSaslMessage: number;
  maxClientConnections: number;
  drainTimeout: number;
  computeConnectTimeout: number;
  redis?: string;
  connectRate: number;
  connectBurst: number;
  authFailureLimit: number;
  authFailureWindow: number;
  authBlock: number;
  cancelRate: number;
  cancelBurst: number;
  sessionLeaseTtl: number;
  cancelKeyTtl: number;
  wakeLockTtl: number;
  computeAddressTtl: number;
  redisCommandTimeout: number;
  redisConnectTimeout: number;
}

const d = PROXY_DEFAULTS;
const r = ROUTER_DEFAULTS;

/** `--flag <value>` with a positive integer, an environment variable and a default. */
const limit = (flags: string, description: string, env: string, value: number) =>
  new Option(flags, description).env(env).argParser(parsePositiveInt).default(value);

export function registerProxyCommand(program: Command): void {
  program
    .command("proxy")
    .description(
      "Run the PostgreSQL proxy: TLS, SNI routing, SCRAM, compute login and splice.\n" +
        "Signals: SIGHUP reloads routes and certificates, SIGTERM drains, SIGINT exits at once.",
    )
    .addOption(new Option("--routes <file>", "static route table (JSON, see README); or use --control-plane").env("OROCHI_ROUTES"))
    .addOption(new Option("--control-plane <url>", "control plane whose internal API gives the routes, e.g. http://127.0.0.1:7432").env("OROCHI_CONTROL_PLANE_URL"))
    .addOption(new Option("--control-plane-token <token>", "internal API token of the control plane").env("OROCHI_INTERNAL_TOKEN"))
    .addOption(new Option("--route-cache-ttl <ms>", "how long control-plane answers are cached (and served while it is down)").argParser(parsePositiveInt).default(ROUTE_CACHE_DEFAULTS.ttlMs))
    .addOption(new Option("--scheduler <host:port>", "scheduler (gRPC) that wakes managed computes; without it managed endpoints are unreachable").env("OROCHI_SCHEDULER"))
    .addOption(new Option("--scheduler-token <token>", "shared token for the scheduler").env("OROCHI_SCHEDULER_TOKEN"))
    .addOption(new Option("--scheduler-ca <file>", "CA certificate to verify a TLS scheduler").env("OROCHI_SCHEDULER_CA"))
    .addOption(new Option("--listen <host:port>", "PostgreSQL listener").env("OROCHI_PROXY_LISTEN").argParser(parseListen).default(parseListen(`${d.listenHost}:${d.port}`), `${d.listenHost}:${d.port}`))
    .addOption(new Option("--http-listen <host:port>", "HTTP listener for /metrics, /healthz, /readyz").env("OROCHI_PROXY_HTTP_LISTEN").argParser(parseListen).default(parseListen(`${d.listenHost}:${d.httpPort}`), `${d.listenHost}:${d.httpPort}`))
    .option("--no-http", "do not start the HTTP listener")
    .addOption(new Option("--domain <suffix>", `host-name suffix after the endpoint label, repeatable (default ${d.domains.join(",")})`).env("OROCHI_PROXY_DOMAINS").argParser(collect))
    .addOption(new Option("--tls-cert <file>", "certificate chain (PEM); repeat with --tls-key for several pairs, chosen by SNI").env("OROCHI_TLS_CERT").argParser(collect).default([]))
    .addOption(new Option("--tls-key <file>", "private key (PEM) for the --tls-cert at the same position").env("OROCHI_TLS_KEY").argParser(collect).default([]))
    .addOption(new Option("--state-dir <dir>", "state directory (local CA, keys)").env("OROCHI_HOME").default(defaultStateDir(), "$OROCHI_HOME or ./.orochi"))
    .addOption(new Option("--proxy-protocol", "expect a PROXY protocol v2 header on every connection (behind a TCP load balancer); the client address it carries is used for logs, allow-lists and throttling").env("OROCHI_PROXY_PROTOCOL").default(false))
    .addOption(new Option("--allow-insecure", "accept plaintext (non-TLS) client connections").env("OROCHI_PROXY_ALLOW_INSECURE").default(false))
    .addOption(new Option("--handshake-timeout <ms>", "accept-to-splice deadline").argParser(parsePositiveInt).default(d.handshakeTimeoutMs))
    .addOption(new Option("--max-startup-packet <bytes>", "largest startup packet").argParser(parsePositiveInt).default(d.maxStartupPacketBytes))
    .addOption(new Option("--max-password-message <bytes>", "largest cleartext password message").argParser(parsePositiveInt).default(d.maxPasswordMessageBytes))
    .addOption(new Option("--max-sasl-message <bytes>", "largest SASL message").argParser(parsePositiveInt).default(d.maxSaslMessageBytes))
    .addOption(new Option("--max-client-connections <n>", "client connections held at once; beyond it 53300").env("OROCHI_PROXY_MAX_CLIENT_CONNECTIONS").argParser(parsePositiveInt).default(d.maxClientConnections))
    .addOption(new Option("--drain-timeout <ms>", "SIGTERM: wait this long for sessions").argParser(parsePositiveInt).default(d.drainTimeoutMs))
    .addOption(new Option("--compute-connect-timeout <ms>", "TCP connect to a compute or pooler").argParser(parsePositiveInt).default(d.computeConnectTimeoutMs))
    .addOption(new Option("--usage-url <url>", "control plane that receives usage records (CU-seconds, bytes); without it no usage is metered").env("OROCHI_USAGE_URL"))
    .addOption(new Option("--usage-token <token>", "token for the usage endpoint (default: --control-plane-token)").env("OROCHI_USAGE_TOKEN"))
    .addOption(new Option("--usage-spool-dir <dir>", "local spool of usage records not yet acknowledged (default: <state dir>/proxy/usage-spool)").env("OROCHI_USAGE_SPOOL_DIR"))
    .addOption(new Option("--usage-max-spool-bytes <bytes>", `spool size bound (default ${USAGE_METER_DEFAULTS.spoolMaxBytes}); beyond it records wait in memory and an alert fires`).argParser(parsePositiveInt))
    .addOption(new Option("--usage-labeled-endpoint <id>", "endpoint that always gets its own metric label (repeatable; others share top-N slots or \"other\")").argParser(collect))
    .addOption(new Option("--redis <url>", "Redis shared by all replicas (redis://host:port): route cache, limits, cancel keys, wake lock, invalidations; without it state is per proxy").env("OROCHI_REDIS_URL"))
    .addOption(limit("--connect-rate <per-second>", "new connections per second per endpoint (token bucket refill; all replicas together)", "OROCHI_CONNECT_RATE", r.connectRatePerSecond))
    .addOption(limit("--connect-burst <n>", "connections per endpoint accepted at once after a quiet spell (bucket size); beyond rate and burst: 53400", "OROCHI_CONNECT_BURST", r.connectBurst))
    .addOption(limit("--auth-failure-limit <n>", "failed authentications per endpoint and source address (IPv6: /64) within the window before it is refused (53400)", "OROCHI_AUTH_FAILURE_LIMIT", r.authFailureLimit))
    .addOption(limit("--auth-failure-window <ms>", "window in which failed authentications are counted", "OROCHI_AUTH_FAILURE_WINDOW", r.authFailureWindowMs))
    .addOption(limit("--auth-block <ms>", "how long a source over the failure limit is refused", "OROCHI_AUTH_BLOCK", r.authBlockMs))
    .addOption(limit("--cancel-rate <per-second>", "CancelRequests per second per source subnet (/24 IPv4, /64 IPv6) per replica; beyond it they are ignored", "OROCHI_CANCEL_RATE", r.cancelRatePerSecond))
    .addOption(limit("--cancel-burst <n>", "CancelRequests per subnet accepted at once", "OROCHI_CANCEL_BURST", r.cancelBurst))
    .addOption(limit("--session-lease-ttl <ms>", "a session's slot in its endpoint's max_connections count expires this long after its replica stops renewing it (crash)", "OROCHI_SESSION_LEASE_TTL", r.sessionLeaseTtlMs))
    .addOption(limit("--cancel-key-ttl <ms>", "a session's cancel key expires from Redis this long after its replica stops renewing it", "OROCHI_CANCEL_KEY_TTL", r.cancelKeyTtlMs))
    .addOption(limit("--wake-lock-ttl <ms>", "the cross-replica wake lock expires this long after its holder stops renewing it", "OROCHI_WAKE_LOCK_TTL", r.wakeLockTtlMs))
    .addOption(limit("--compute-address-ttl <ms>", "how long other replicas use the compute address a wake published", "OROCHI_COMPUTE_ADDRESS_TTL", r.computeAddressTtlMs))
    .addOption(limit("--redis-command-timeout <ms>", "a Redis command without a reply by then falls back to local state", "OROCHI_REDIS_COMMAND_TIMEOUT", r.redisCommandTimeoutMs))
    .addOption(limit("--redis-connect-timeout <ms>", "Redis connect timeout (and how long start-up waits for Redis)", "OROCHI_REDIS_CONNECT_TIMEOUT", r.redisConnectTimeoutMs))
    .addHelpText(
      "after",
      "\nLimits apply per endpoint. With --redis they hold across all replicas; without Redis (or while it is\n" +
        "unreachable) each replica enforces them alone. max_connections comes from the endpoint (size: dev 25,\n" +
        "small 100, medium 200, large 400, xlarge 800); beyond it 53300. Allowed addresses come from the\n" +
        "endpoint's allowed_cidrs and are checked before authentication (28000). See router/README.md.",
    )
    .action(async (o: ProxyCliOptions) => {
      const domains = (o.domain ?? [...d.domains]).flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean);
      const certs = o.tlsCert.flatMap((s) => s.split(","));
      const keys = o.tlsKey.flatMap((s) => s.split(","));
      if (certs.length !== keys.length) throw new Error("--tls-cert and --tls-key must come in pairs");
      if ((o.routes === undefined) === (o.controlPlane === undefined)) throw new Error("give exactly one of --routes FILE and --control-plane URL");
      if (o.controlPlane && !o.controlPlaneToken) throw new Error("--control-plane needs --control-plane-token (or OROCHI_INTERNAL_TOKEN)");
      const usageToken = o.usageToken ?? o.controlPlaneToken;
      if (o.usageUrl && !usageToken) throw new Error("--usage-url needs --usage-token (or --control-plane-token)");
      const log = createLogger("proxy");
      const proxy = await startProxy({
        usage: o.usageUrl
          ? {
              url: o.usageUrl,
              token: usageToken!,
              spoolDir: o.usageSpoolDir,
              limits: {
                ...(o.usageMaxSpoolBytes ? { spoolMaxBytes: o.usageMaxSpoolBytes } : {}),
                ...(o.usageLabeledEndpoint ? { labeledEndpoints: o.usageLabeledEndpoint } : {}),
              },
            }
          : null,
        routesFile: o.routes,
        controlPlane: o.controlPlane ? { url: o.controlPlane, token: o.controlPlaneToken!, cache: { ttlMs: o.routeCacheTtl } } : null,
        redis: o.redis ? { url: o.redis } : null,
        router: routerSettings(o),
        stateDir: o.stateDir,
        log,
        scheduler: o.scheduler
          ? { address: o.scheduler, token: o.schedulerToken, ca: o.schedulerCa ? readFileSync(o.schedulerCa) : undefined }
          : null,
        config: {
          listenHost: o.listen.host,
          port: o.listen.port,
          httpHost: o.httpListen.host,
          httpPort: o.http ? o.httpListen.port : null,
          domains,
          certificates: certs.map((certFile, i) => ({ certFile, keyFile: keys[i]! })),
          requireTls: !o.allowInsecure,
          proxyProtocol: o.proxyProtocol,
          handshakeTimeoutMs: o.handshakeTimeout,
          maxStartupPacketBytes: o.maxStartupPacket,
          maxPasswordMessageBytes: o.maxPasswordMessage,
          maxSaslMessageBytes: o.maxSaslMessage,
          maxClientConnections: o.maxClientConnections,
          drainTimeoutMs: o.drainTimeout,
          computeConnectTimeoutMs: o.computeConnectTimeout,
        },
      });
      process.on("SIGHUP", () => {
        log.info("SIGHUP: reloading routes and certificates");
        void proxy.reload();
      });
      onShutdownSignals({
        SIGTERM: async () => {
          await proxy.drain();
        },
        SIGINT: () => proxy.close(),
      });
      process.stdout.write(
        JSON.stringify({ event: "ready", port: proxy.port, http_port: proxy.httpPort, ca_file: proxy.caFile, domains }) + "\n",
      );
    });
}

function routerSettings(o: ProxyCliOptions): RouterSettings {
  return {
    connectRatePerSecond: o.connectRate,
    connectBurst: o.connectBurst,
    authFailureLimit: o.authFailureLimit,
    authFailureWindowMs: o.authFailureWindow,
    authBlockMs: o.authBlock,
    cancelRatePerSecond: o.cancelRate,
    cancelBurst: o.cancelBurst,
    sessionLeaseTtlMs: o.sessionLeaseTtl,
    cancelKeyTtlMs: o.cancelKeyTtl,
    wakeLockTtlMs: o.wakeLockTtl,
    computeAddressTtlMs: o.computeAddressTtl,
    redisCommandTimeoutMs: o.redisCommandTimeout,
    redisConnectTimeoutMs: o.redisConnectTimeout,
  };
}
