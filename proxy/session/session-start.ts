import { performance } from "node:perf_hooks";
import type { ConnectTarget, SessionLease } from "../../router/index.js";
import { backendKeyData } from "../protocol/backend-messages.js";
import type { ClientTransport } from "./client-transport.js";
import type { ComputeConnection } from "./compute-login.js";
import type { ConnectionContext, ConnectionFacts } from "./connection.js";
import { settleBytes } from "./bytes.js";
import type { LiveSession } from "./session-registry.js";
import { splice } from "./splice.js";

export interface SplicedSession {
  facts: ConnectionFacts;
  transport: ClientTransport;
  compute: ComputeConnection;
  target: ConnectTarget;
  lease: SessionLease;
  /** Authentication messages not yet sent to the client (they lead the greeting's write). */
  authReply: Buffer | null;
  endpointId: string;
  pooled: boolean;
  role: string;
  cu: number;
}

/**
 * DESIGN.md steps 7–9 after a successful login: the proxy's own BackendKeyData, the compute's
 * greeting, then the splice and its bookkeeping. A function of its own so that a live session
 * holds only what it needs, not the handshake's state.
 */
export function startSession(ctx: ConnectionContext, s: SplicedSession): void {
  const { transport, compute, facts } = s;
  const key = ctx.router.cancels.register({
    address: s.target.address,
    processId: compute.processId,
    secretKey: compute.secretKey,
    endpointId: s.endpointId,
  });
  const clientLeftover = transport.reader.detach();
  const client = transport.socket;
  client.cork();
  if (s.authReply) client.write(s.authReply);
  for (const m of compute.greeting) client.write(m);
  client.write(backendKeyData(key.processId, key.secretKey));
  client.write(compute.ready);
  client.uncork();
  if (compute.rest.length > 0) client.write(compute.rest);
  const computeSocket = compute.socket;
  if (clientLeftover.length > 0) computeSocket.write(clientLeftover);

  const lease = s.lease;
  const session: LiveSession = {
    id: facts.session,
    endpointId: s.endpointId,
    role: s.role,
    pooled: s.pooled,
    startedAt: Date.now(),
    cu: s.cu,
    compute: computeSocket,
    countedIn: 0,
    countedOut: 0,
    loginBytesRead: compute.loginBytesRead,
    loginBytesWritten: compute.loginBytesWritten,
    close: () => {
      client.destroy();
      computeSocket.destroy();
    },
  };
  ctx.sessions.add(session);
  ctx.metrics.sessions.inc();
  ctx.metrics.connections.inc({ outcome: "success" });
  const sessionStarted = performance.now();
  splice(client, computeSocket, (end) => {
    ctx.router.cancels.unregister(key.processId);
    lease.release();
    const bytes = settleBytes(session, ctx.metrics);
    ctx.sessions.remove(session);
    ctx.metrics.sessions.dec();
    ctx.log.info(
      {
        ...facts,
        outcome: "closed",
        ended_by: end.endedBy,
        error: end.error?.message,
        duration_ms: Math.round(performance.now() - sessionStarted),
        bytes_in: bytes.in,
        bytes_out: bytes.out,
      },
      "session ended",
    );
  });
}
