import { randomUUID } from "node:crypto";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { Logger } from "../../common/log.js";
import {
  RouterError,
  endpointLabelFromSni,
  extractEndpointFromOptions,
  resolveEndpoint,
  type ConnectTarget,
  type Router,
  type SessionLease,
} from "../../router/index.js";
import type { ProxyConfig } from "../config.js";
import type { ConnectionOutcome, ProxyMetrics } from "../metrics.js";
import { errorResponse, negotiateProtocolVersion, noticeResponse } from "../protocol/backend-messages.js";
import { ClientError, SQLSTATE, toClientError } from "../protocol/errors.js";
import { PacketReader } from "../protocol/packet-reader.js";
import { startSession } from "./session-start.js";
import { readProxyHeader } from "../protocol/proxy-protocol.js";
import type { CertificateStore } from "../tls/cert-store.js";
import { forwardCancel } from "./cancel.js";
import { authenticateClient, type AuthGate } from "./client-auth.js";
import { negotiateTransport, type ClientTransport } from "./client-transport.js";
import { ComputeRejected, ComputeUnreachable, loginToCompute, type ComputeConnection } from "./compute-login.js";
import { fromRouterError } from "./router-errors.js";
import type { SessionRegistry } from "./session-registry.js";
import { computeStartupParams, isReplicationRequest } from "./startup-params.js";

/** Connect attempts per session: the first, and re-wakes after a cached address failed. */
const MAX_COMPUTE_CONNECT_ATTEMPTS = 3;
/** Leave this much of the handshake deadline to report a failed wake to the client. */
const WAKE_DEADLINE_MARGIN_MS = 500;

export interface ConnectionContext {
  readonly config: ProxyConfig;
  readonly router: Router;
  readonly certificates: () => CertificateStore;
  readonly metrics: ProxyMetrics;
  readonly sessions: SessionRegistry;
  readonly log: Logger;
}

/** What the connection log line says about a client, filled in as the handshake learns it. */
export interface ConnectionFacts {
  session: string;
  client: string;
  tls?: "ssl_request" | "direct";
  endpoint?: string;
  pooled?: boolean;
  role?: string;
  database?: string;
  application?: string;
}

/**
 * One client connection from accept to close: DESIGN.md's lifecycle, steps 1–9. Everything
 * before the splice runs under the handshake deadline; every failure ends as one
 * ErrorResponse with a SQLSTATE, one metric increment and one log line.
 */
export async function handleConnection(raw: Socket, ctx: ConnectionContext, overLimit: boolean): Promise<void> {
  const started = performance.now();
  // Captured now: a closed socket no longer knows its peer. Behind a load balancer speaking
  // PROXY protocol v2 the header below replaces it with the real client's address.
  let clientAddress = raw.remoteAddress ?? "";
  const facts: ConnectionFacts = { session: randomUUID(), client: `${clientAddress}:${raw.remotePort}` };
  const holder: { transport: ClientTransport } = { transport: { socket: raw, reader: new PacketReader(raw), tls: null } };
  const abort = new AbortController();
  // Only for the handshake: removed once spliced, so a session keeps nothing of it alive.
  const abortOnClose = () => abort.abort();
  raw.once("close", abortOnClose);
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    const err = new ClientError("timeout", SQLSTATE.idleSessionTimeout, `connection handshake not completed within ${ctx.config.handshakeTimeoutMs} ms`);
    endWithError(holder.transport.socket, err);
    abort.abort();
  }, ctx.config.handshakeTimeoutMs);

  let compute: ComputeConnection | null = null;
  let lease: SessionLease | null = null;
  try {
    if (ctx.config.proxyProtocol) {
      const proxied = await readProxyHeader(holder.transport.reader);
      if (proxied.source) {
        clientAddress = proxied.source.address;
        facts.client = `${proxied.source.address}:${proxied.source.port}`;
      }
    }
    const negotiated = await negotiateTransport(holder, {
      certificates: ctx.certificates(),
      maxStartupPacketBytes: ctx.config.maxStartupPacketBytes,
      onTlsHandshake: (kind) => ctx.metrics.tlsHandshakes.inc({ kind }),
    });
    const transport = negotiated.transport;
    if (transport.tls) facts.tls = transport.tls.direct ? "direct" : "ssl_request";
    if (negotiated.kind === "cancel") {
      clearTimeout(deadline);
      transport.socket.destroy();
      await handleCancel(ctx, negotiated.packet.processId, negotiated.packet.secretKey, clientAddress, facts);
      return;
    }
    const { params, minorVersion, protocolOptions } = negotiated.packet;
    if (!transport.tls && ctx.config.requireTls) {
      throw new ClientError("user", SQLSTATE.invalidAuthorization, "connection is insecure (try using sslmode=require)");
    }
    if (overLimit) {
      throw new ClientError("limit", SQLSTATE.tooManyConnections, "sorry, too many clients already; try again later");
    }
    if (minorVersion > 0 || protocolOptions.length > 0) transport.socket.write(negotiateProtocolVersion(0, protocolOptions));
    const user = params.get("user");
    if (!user) throw new ClientError("user", SQLSTATE.invalidAuthorization, "no PostgreSQL user name specified in startup packet");
    if (isReplicationRequest(params)) {
      throw new ClientError("user", SQLSTATE.featureNotSupported, "replication connections are not supported through the proxy");
    }
    facts.role = user;
    facts.database = params.get("database") || user;
    facts.application = params.get("application_name");
    const options = extractEndpointFromOptions(params.get("options"));
    const request = resolveEndpoint(endpointLabelFromSni(transport.tls?.servername, ctx.config.domains), options.label);
    if (request) Object.assign(facts, { endpoint: request.endpointId, pooled: request.pooled });

    const gate: AuthGate = {
      beforeVerifying: (access) => ctx.router.admission.beforeAuthentication(access, clientAddress),
      failed: (endpointId) => ctx.router.admission.authenticationFailed(endpointId, clientAddress),
    };
    const auth = await authenticateClient(transport, user, request, ctx.router, ctx.config, gate);
    Object.assign(facts, { endpoint: auth.request.endpointId, pooled: auth.request.pooled });
    // Before the wake: a session over the endpoint's limit must not start its compute.
    lease = await ctx.router.admission.admitSession(auth.access, facts.session, auth.request.pooled);

    // SASLFinal + AuthenticationOk go out with the greeting, unless a notice must come first.
    let authReply: Buffer | null = auth.reply;
    let noticeSent = false;
    const hooks = {
      signal: abort.signal,
      // Answer with a wake error, not the handshake timeout, when the scheduler is slow or down.
      deadlineMs: Math.max(1, ctx.config.handshakeTimeoutMs - (performance.now() - started) - WAKE_DEADLINE_MARGIN_MS),
      computeInUse: ctx.sessions.countFor(auth.request.endpointId) > 0,
      onWaking: () => {
        if (noticeSent) return;
        noticeSent = true;
        // libpq accepts notices only after AuthenticationOk.
        if (authReply) transport.socket.write(authReply);
        authReply = null;
        transport.socket.write(noticeResponse({ code: "00000", message: `waking up the compute of endpoint "${auth.request.endpointId}"; this takes a moment` }));
      },
    };
    let target: ConnectTarget;
    for (let attempt = 1; ; attempt++) {
      target = await ctx.router.target(auth.access, auth.request.pooled, hooks);
      const startup = computeStartupParams(params, target, options.rest);
      if (startup.dropped.length > 0 && attempt === 1) ctx.log.debug({ ...facts, dropped: startup.dropped }, "startup parameters not forwarded");
      try {
        compute = await loginToCompute({
          address: target.address,
          params: startup.params,
          clientKey: auth.clientKey,
          serverKey: auth.secret.serverKey,
          connectTimeoutMs: ctx.config.computeConnectTimeoutMs,
          maxMessageBytes: ctx.config.maxComputeLoginMessageBytes,
          keepAliveInitialDelayMs: ctx.config.keepAliveInitialDelayMs,
          signal: abort.signal,
        });
        break;
      } catch (err) {
        // A cached address may belong to a compute suspended since: wake it and try again.
        const retry = err instanceof ComputeUnreachable && attempt < MAX_COMPUTE_CONNECT_ATTEMPTS && !abort.signal.aborted && ctx.router.connectFailed(auth.access, target);
        if (!retry) throw err;
      }
    }
    if (timedOut || abort.signal.aborted) throw new ClientError("disconnect", SQLSTATE.connectionFailure, "client went away during login");
    clearTimeout(deadline);

    // The ClientKey is as good as a password for this role: keep it no longer than the login.
    auth.clientKey.fill(0);
    raw.off("close", abortOnClose);
    const handshakeSeconds = (performance.now() - started) / 1000;
    startSession(ctx, { facts, transport, compute, target, lease, authReply, endpointId: auth.request.endpointId, pooled: auth.request.pooled, role: user, cu: auth.access.cu });
    ctx.metrics.handshakeDuration.observe({ tls: facts.tls ?? "none" }, handshakeSeconds);
    ctx.log.info({ ...facts, outcome: "success", handshake_ms: Math.round(handshakeSeconds * 1000) }, "session started");
  } catch (thrown) {
    clearTimeout(deadline);
    raw.off("close", abortOnClose);
    compute?.socket.destroy();
    lease?.release();
    if (thrown instanceof ComputeRejected) {
      // The compute's own error (e.g. database does not exist) is the useful one: pass it on.
      ctx.metrics.connections.inc({ outcome: "compute" });
      holder.transport.socket.end(thrown.raw);
      ctx.log.info({ ...facts, outcome: "compute", sqlstate: thrown.sqlstate, error: thrown.message }, "compute refused the login");
      return;
    }
    const err = thrown instanceof RouterError ? fromRouterError(thrown) : toClientError(thrown);
    const outcome = classify(err, timedOut, raw);
    ctx.metrics.connections.inc({ outcome });
    // A timed-out client was already answered by the deadline timer.
    if (outcome === "disconnect" || outcome === "health_check") holder.transport.socket.destroy();
    else if (!timedOut) endWithError(holder.transport.socket, err);
    const level = outcome === "internal" ? "error" : outcome === "health_check" ? "debug" : "info";
    ctx.log[level]({ ...facts, outcome, sqlstate: err.sqlstate, error: err.message, detail: err.detail }, "connection failed");
  }
}

function classify(err: ClientError, timedOut: boolean, raw: Socket): ConnectionOutcome {
  if (timedOut) return "timeout";
  if (err.kind === "disconnect" && raw.bytesRead === 0) return "health_check";
  return err.kind;
}

function endWithError(socket: Socket | ClientTransport["socket"], err: ClientError): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(errorResponse({ code: err.sqlstate, message: err.message, hint: err.hint }));
  // Do not wait forever for a client that does not read its error.
  setTimeout(() => socket.destroy(), 1_000).unref();
}

async function handleCancel(ctx: ConnectionContext, processId: number, secretKey: number, clientAddress: string, facts: ConnectionFacts): Promise<void> {
  ctx.metrics.connections.inc({ outcome: "cancel" });
  const resolution = await ctx.router.cancels.resolve(processId, secretKey, clientAddress);
  if (resolution.outcome === "rate_limited" || resolution.outcome === "unknown_key") {
    ctx.metrics.cancelRequests.inc({ result: resolution.outcome });
    const message = resolution.outcome === "rate_limited" ? "cancel request over the per-subnet rate ignored" : "cancel request with an unknown key ignored";
    ctx.log.info({ ...facts, outcome: `cancel_${resolution.outcome}` }, message);
    return;
  }
  const { target, outcome: path } = resolution;
  try {
    await forwardCancel(target);
    ctx.metrics.cancelRequests.inc({ result: "forwarded" });
    ctx.metrics.cancelForwards.inc({ path });
    ctx.log.info({ ...facts, endpoint: target.endpointId, outcome: "cancel_forwarded", path }, "cancel request forwarded");
  } catch (err) {
    ctx.metrics.cancelRequests.inc({ result: "failed" });
    ctx.log.warn({ ...facts, endpoint: target.endpointId, outcome: "cancel_failed", path, error: (err as Error).message }, "cancel request could not be forwarded");
  }
}
