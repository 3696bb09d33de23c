import { connect, type Socket } from "node:net";
import { serialize } from "pg-protocol";
import type { HostPort } from "../../router/index.js";
import { message } from "../protocol/backend-messages.js";
import { AUTH_CODES, BACKEND_TAGS } from "../protocol/codes.js";
import { ClientError, SQLSTATE } from "../protocol/errors.js";
import { PacketReader } from "../protocol/packet-reader.js";
import { ScramClientError, ScramClientExchange } from "../scram/client-exchange.js";
import { SCRAM_SHA_256 } from "../scram/server-exchange.js";

export interface ComputeLoginOptions {
  address: HostPort;
  /** Startup parameters for the compute (user, database and the forwarded ones). */
  params: Record<string, string>;
  clientKey: Buffer;
  serverKey: Buffer;
  connectTimeoutMs: number;
  maxMessageBytes: number;
  keepAliveInitialDelayMs: number;
  signal: AbortSignal;
}

export interface ComputeConnection {
  socket: Socket;
  /** The compute's BackendKeyData (what a cancel must carry to it). */
  processId: number;
  secretKey: number;
  /** ParameterStatus and NoticeResponse messages, raw, in order: forwarded to the client as is. */
  greeting: Buffer[];
  /** The ReadyForQuery message, raw. */
  ready: Buffer;
  /** Bytes that arrived after ReadyForQuery (none from a conforming server). */
  rest: Buffer;
  /** Bytes read/written during login, so spliced byte counts can exclude them. */
  loginBytesRead: number;
  loginBytesWritten: number;
}

/** An ErrorResponse from the compute during login; forwarded to the client verbatim. */
export class ComputeRejected extends Error {
  constructor(
    readonly raw: Buffer,
    readonly sqlstate: string,
    message: string,
  ) {
    super(message);
  }
}

/** The compute could not be reached at all (connection refused, reset, timeout). */
export class ComputeUnreachable extends ClientError {
  constructor(detail: string) {
    super("compute", SQLSTATE.connectionFailure, "could not connect to the compute; try again", detail);
  }
}

/**
 * DESIGN.md step 7: connect to the compute (or pooler) and log in with SCRAM-SHA-256 using the
 * ClientKey recovered from the client — no password anywhere. The server must prove it holds
 * the same verifier (ServerSignature). Stops at ReadyForQuery, ready for the splice.
 */
export async function loginToCompute(opts: ComputeLoginOptions): Promise<ComputeConnection> {
  const socket = await connectTcp(opts);
  try {
    return await login(socket, opts);
  } catch (err) {
    socket.destroy();
    throw err;
  }
}

function connectTcp(opts: ComputeLoginOptions): Promise<Socket> {
  return new Promise((resolve, reject) => {
    // No Nagle (request/response traffic) and keepalive, both set as the socket is made.
    const socket = connect({
      host: opts.address.host,
      port: opts.address.port,
      allowHalfOpen: true,
      noDelay: true,
      keepAlive: true,
      keepAliveInitialDelay: opts.keepAliveInitialDelayMs,
    });
    const timer = setTimeout(() => fail(new Error(`connect timeout after ${opts.connectTimeoutMs} ms`)), opts.connectTimeoutMs);
    const onAbort = () => fail(new Error("client went away"));
    opts.signal.addEventListener("abort", onAbort, { once: true });
    function cleanup() {
      clearTimeout(timer);
      opts.signal.removeEventListener("abort", onAbort);
      socket.off("error", fail);
    }
    function fail(err: Error) {
      cleanup();
      socket.destroy();
      reject(new ComputeUnreachable(`${opts.address.host}:${opts.address.port}: ${err.message}`));
    }
    socket.once("error", fail);
    socket.once("connect", () => {
      cleanup();
      resolve(socket);
    });
  });
}

async function login(socket: Socket, opts: ComputeLoginOptions): Promise<ComputeConnection> {
  const onAbort = () => socket.destroy();
  opts.signal.addEventListener("abort", onAbort, { once: true });
  const reader = new PacketReader(socket, "compute");
  try {
    socket.write(serialize.startup(opts.params));
    let scram: ScramClientExchange | null = null;
    let processId = 0;
    let secretKey = 0;
    const greeting: Buffer[] = [];
    for (;;) {
      const { tag, body } = await reader.readTagged(opts.maxMessageBytes).catch((err: unknown) => {
        throw new ComputeUnreachable(`compute login: ${(err as Error).message}`);
      });
      switch (tag) {
        case BACKEND_TAGS.authentication: {
          const code = body.readInt32BE(0);
          if (code === AUTH_CODES.ok) break;
          if (code === AUTH_CODES.sasl) {
            const mechanisms = body.toString("utf8", 4).split("\0");
            if (!mechanisms.includes(SCRAM_SHA_256)) throw loginFailure("compute does not offer SCRAM-SHA-256");
            scram = new ScramClientExchange(opts.clientKey, opts.serverKey);
            socket.write(serialize.sendSASLInitialResponseMessage(SCRAM_SHA_256, scram.first()));
          } else if (code === AUTH_CODES.saslContinue && scram) {
            socket.write(serialize.sendSCRAMClientFinalMessage(scram.final(body.toString("utf8", 4))));
          } else if (code === AUTH_CODES.saslFinal && scram) {
            scram.verify(body.toString("utf8", 4));
          } else {
            throw loginFailure(`compute requested unsupported authentication (code ${code})`);
          }
          break;
        }
        case BACKEND_TAGS.backendKeyData:
          processId = body.readInt32BE(0);
          secretKey = body.readInt32BE(4);
          break;
        case BACKEND_TAGS.parameterStatus:
        case BACKEND_TAGS.noticeResponse:
          greeting.push(message(tag, body));
          break;
        case BACKEND_TAGS.negotiateProtocolVersion:
          break;
        case BACKEND_TAGS.errorResponse: {
          const fields = parseErrorFields(body);
          throw new ComputeRejected(message(tag, body), fields.get("C") ?? SQLSTATE.internal, fields.get("M") ?? "compute refused the connection");
        }
        case BACKEND_TAGS.readyForQuery: {
          const rest = reader.detach();
          return {
            socket,
            processId,
            secretKey,
            greeting,
            ready: message(tag, body),
            rest,
            loginBytesRead: socket.bytesRead - rest.length,
            loginBytesWritten: socket.bytesWritten,
          };
        }
        default:
          throw loginFailure(`unexpected message ${JSON.stringify(String.fromCharCode(tag))} from compute during login`);
      }
    }
  } catch (err) {
    if (err instanceof ScramClientError) throw loginFailure(err.message);
    throw err;
  } finally {
    opts.signal.removeEventListener("abort", onAbort);
  }
}

function loginFailure(detail: string): ClientError {
  return new ClientError("compute", SQLSTATE.connectionFailure, "could not log in to the compute", detail);
}

/** ErrorResponse/NoticeResponse fields: (type byte, cstring)* then NUL. */
export function parseErrorFields(body: Buffer): Map<string, string> {
  const fields = new Map<string, string>();
  let pos = 0;
  while (pos < body.length && body[pos] !== 0) {
    const type = String.fromCharCode(body[pos]!);
    const end = body.indexOf(0, pos + 1);
    if (end < 0) break;
    fields.set(type, body.toString("utf8", pos + 1, end));
    pos = end + 1;
  }
  return fields;
}
