import { fakeScramSecret, type ScramSecret } from "../../common/scram/index.js";
import {
  HOW_TO_PASS_ENDPOINT,
  RouterError,
  parseEndpointLabel,
  parsePasswordHack,
  type EndpointAccess,
  type EndpointRequest,
  type Router,
} from "../../router/index.js";
import {
  authenticationCleartextPassword,
  authenticationOk,
  authenticationSasl,
  authenticationSaslContinue,
  authenticationSaslFinal,
} from "../protocol/backend-messages.js";
import { FRONTEND_TAGS } from "../protocol/codes.js";
import { ClientError, SQLSTATE, protocolError } from "../protocol/errors.js";
import type { PacketReader } from "../protocol/packet-reader.js";
import { verifyCleartextPassword } from "../scram/password.js";
import { ScramServerExchange, passwordFailed, type ScramVerified } from "../scram/server-exchange.js";
import type { ClientTransport } from "./client-transport.js";

export interface AuthLimits {
  maxPasswordMessageBytes: number;
  maxSaslMessageBytes: number;
  fakeSecretKey: Buffer;
}

export interface Authenticated {
  request: EndpointRequest;
  access: EndpointAccess;
  /** Recovered from the client's proof (or derived from its password); logs us in to the compute. */
  clientKey: Buffer;
  /** The verifier the client was checked against (gives the ServerKey for the compute login). */
  secret: ScramSecret;
  /**
   * AuthenticationSASLFinal (SCRAM) and AuthenticationOk, not sent yet: the caller sends them
   * with the compute's greeting in one write (one syscall and TLS record fewer per connection),
   * or earlier when it must tell the client something (a wake notice).
   */
  reply: Buffer;
}

/**
 * The router's checks of step 5: run once the endpoint is known and before the password is
 * verified (allow-list, auth-failure throttle, connection rate); told of every failed attempt.
 */
export interface AuthGate {
  beforeVerifying(access: EndpointAccess): Promise<void>;
  failed(endpointId: string): void;
}

/**
 * DESIGN.md step 5 (and the lookup of step 4 it needs): authenticate the client before any
 * compute is touched. With an endpoint known from SNI or options this is SCRAM-SHA-256
 * (-PLUS on TLS); without one, the password hack over a cleartext password message.
 * Ends with AuthenticationOk sent.
 */
export async function authenticateClient(
  transport: ClientTransport,
  user: string,
  request: EndpointRequest | null,
  router: Router,
  limits: AuthLimits,
  gate: AuthGate,
): Promise<Authenticated> {
  if (request) {
    const access = await router.access(request, user);
    await gate.beforeVerifying(access);
    const secret = access.secret ?? fakeScramSecret(limits.fakeSecretKey, request.endpointId, user);
    const verified = await countingFailures(gate, request.endpointId, async () => {
      const v = await scramWithClient(transport, user, secret, limits);
      // A fake verifier can never be satisfied (its StoredKey has no preimage we know of), but
      // make the rule explicit: unknown roles never authenticate.
      if (!access.secret) throw passwordFailed(user);
      return v;
    });
    const reply = Buffer.concat([authenticationSaslFinal(verified.serverFinal), authenticationOk()]);
    return { request, access, clientKey: verified.clientKey, secret, reply };
  }
  return passwordHack(transport, user, router, limits, gate);
}

/** Report a wrong password or unknown role to the gate (disconnects and protocol errors are not attempts). */
async function countingFailures<T>(gate: AuthGate, endpointId: string, attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (err) {
    if (err instanceof ClientError && err.kind === "auth") gate.failed(endpointId);
    throw err;
  }
}

async function scramWithClient(transport: ClientTransport, user: string, secret: ScramSecret, limits: AuthLimits): Promise<ScramVerified> {
  const binding = { endpointHash: transport.tls?.certificate.endpointHash ?? null };
  const exchange = new ScramServerExchange(secret, binding, user);
  transport.socket.write(authenticationSasl(ScramServerExchange.mechanisms(binding)));
  const initial = parseSaslInitialResponse(await readPasswordMessage(transport.reader, limits.maxSaslMessageBytes, "SASLInitialResponse"));
  const serverFirst = exchange.start(initial.mechanism, initial.data);
  transport.socket.write(authenticationSaslContinue(serverFirst.message));
  const final = await readPasswordMessage(transport.reader, limits.maxSaslMessageBytes, "SASLResponse");
  return exchange.finish(final.toString("utf8"));
}

async function passwordHack(transport: ClientTransport, user: string, router: Router, limits: AuthLimits, gate: AuthGate): Promise<Authenticated> {
  transport.socket.write(authenticationCleartextPassword());
  const body = await readPasswordMessage(transport.reader, limits.maxPasswordMessageBytes, "password");
  if (body.length === 0 || body[body.length - 1] !== 0 || body.indexOf(0) !== body.length - 1) {
    throw protocolError("invalid password packet");
  }
  const hack = parsePasswordHack(body.toString("utf8", 0, body.length - 1));
  if (!hack) {
    throw new RouterError("endpoint_missing", "endpoint ID is not specified", undefined, HOW_TO_PASS_ENDPOINT);
  }
  const request = parseEndpointLabel(hack.label, "password");
  const access = await router.access(request, user);
  await gate.beforeVerifying(access);
  const secret = access.secret ?? fakeScramSecret(limits.fakeSecretKey, request.endpointId, user);
  const clientKey = await countingFailures(gate, request.endpointId, async () => {
    // Run the key derivation for unknown roles too, so timing does not tell them apart.
    const key = await verifyCleartextPassword(secret, hack.password);
    if (!key || !access.secret) throw passwordFailed(user);
    return key;
  });
  return { request, access, clientKey, secret, reply: authenticationOk() };
}

const AUTH_REPLY_TAGS = [FRONTEND_TAGS.password, FRONTEND_TAGS.terminate];

async function readPasswordMessage(reader: PacketReader, max: number, expected: string): Promise<Buffer> {
  const msg = await reader.readTagged(max, { tags: AUTH_REPLY_TAGS, name: expected });
  if (msg.tag === FRONTEND_TAGS.terminate) {
    throw new ClientError("disconnect", SQLSTATE.connectionFailure, "client terminated during authentication");
  }
  return msg.body;
}

/** SASLInitialResponse body: mechanism (cstring), int32 length (-1 = none), data. */
function parseSaslInitialResponse(body: Buffer): { mechanism: string; data: string } {
  const end = body.indexOf(0);
  if (end < 0 || body.length < end + 5) throw protocolError("malformed SASLInitialResponse");
  const mechanism = body.toString("utf8", 0, end);
  const length = body.readInt32BE(end + 1);
  const data = body.subarray(end + 5);
  if (length === -1 || length !== data.length) throw protocolError("malformed SASLInitialResponse: data length mismatch");
  return { mechanism, data: data.toString("utf8") };
}
