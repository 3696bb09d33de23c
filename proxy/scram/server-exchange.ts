import { randomBytes } from "node:crypto";
import { ClientError, SQLSTATE, protocolError } from "../protocol/errors.js";
import { decodeBase64, isPrintableNonce, parseAttributes } from "./attributes.js";
import { constantTimeEqual, hmac, sha256, xor } from "../../common/scram/primitives.js";
import type { ScramSecret } from "../../common/scram/secret.js";

export const SCRAM_SHA_256 = "SCRAM-SHA-256";
export const SCRAM_SHA_256_PLUS = "SCRAM-SHA-256-PLUS";
const CHANNEL_BINDING_TYPE = "tls-server-end-point";
const SERVER_NONCE_BYTES = 18;

/** What the server knows about the transport for channel binding. */
export interface ChannelBinding {
  /** tls-server-end-point data: hash of our certificate; null when not on TLS. */
  readonly endpointHash: Buffer | null;
}

export interface ServerFirst {
  /** server-first-message to send in AuthenticationSASLContinue. */
  readonly message: string;
}

export interface ScramVerified {
  /** Recovered from the client's proof; lets the proxy log in to the compute as the client. */
  readonly clientKey: Buffer;
  /** server-final-message to send in AuthenticationSASLFinal. */
  readonly serverFinal: string;
}

/**
 * The server half of SCRAM-SHA-256[-PLUS] (RFC 5802, 7677, 5929) against a stored verifier.
 * Besides checking the proof, it recovers the ClientKey (proof XOR ClientSignature), which is
 * what lets the proxy authenticate to the compute without ever seeing a password.
 */
export class ScramServerExchange {
  private clientFirstBare = "";
  private serverFirst = "";
  private gs2Header = "";
  private usesChannelBinding = false;
  private nonce = "";

  constructor(
    private readonly secret: ScramSecret,
    private readonly binding: ChannelBinding,
    /** Role name for error messages only. */
    private readonly user: string,
  ) {}

  /** Mechanisms to advertise: -PLUS only when we can bind to the TLS channel. */
  static mechanisms(binding: ChannelBinding): string[] {
    return binding.endpointHash ? [SCRAM_SHA_256_PLUS, SCRAM_SHA_256] : [SCRAM_SHA_256];
  }

  /** Handle SASLInitialResponse (mechanism + client-first-message). */
  start(mechanism: string, clientFirst: string): ServerFirst {
    const plus = mechanism === SCRAM_SHA_256_PLUS;
    if (!plus && mechanism !== SCRAM_SHA_256) {
      throw protocolError(`client selected an invalid SASL authentication mechanism "${mechanism.slice(0, 64)}"`);
    }
    if (plus && !this.binding.endpointHash) throw protocolError("SCRAM-SHA-256-PLUS requires a TLS connection");
    // gs2-header: cbind-flag "," [authzid] ","
    const first = clientFirst.indexOf(",");
    const second = first < 0 ? -1 : clientFirst.indexOf(",", first + 1);
    if (second < 0) throw malformed("client-first-message: missing GS2 header");
    const flag = clientFirst.slice(0, first);
    const authzid = clientFirst.slice(first + 1, second);
    if (authzid !== "") throw new ClientError("user", SQLSTATE.featureNotSupported, "client uses authorization identity, which is not supported");
    if (flag === `p=${CHANNEL_BINDING_TYPE}`) {
      if (!plus) throw protocolError("SCRAM channel binding negotiation error: binding requested with SCRAM-SHA-256");
      this.usesChannelBinding = true;
    } else if (flag.startsWith("p=")) {
      throw new ClientError("user", SQLSTATE.featureNotSupported, `unsupported SCRAM channel-binding type "${flag.slice(2, 40)}"`);
    } else if (flag === "y") {
      // The client could bind but thinks we can't: a downgrade if we offered -PLUS.
      if (this.binding.endpointHash) throw protocolError("SCRAM channel binding negotiation error: client believes the server does not support it");
    } else if (flag !== "n") {
      throw malformed("client-first-message: invalid channel binding flag");
    }
    if (plus && !this.usesChannelBinding) throw protocolError("SCRAM-SHA-256-PLUS selected without channel binding data");
    this.gs2Header = clientFirst.slice(0, second + 1);
    this.clientFirstBare = clientFirst.slice(second + 1);
    const attrs = parseAttributes(this.clientFirstBare);
    // PostgreSQL ignores the user name in SCRAM (it comes from the startup packet).
    if (!attrs || attrs[0]?.[0] !== "n" || attrs[1]?.[0] !== "r") throw malformed("client-first-message: expected n= and r=");
    const clientNonce = attrs[1][1];
    if (!isPrintableNonce(clientNonce)) throw malformed("client-first-message: invalid nonce");
    this.nonce = clientNonce + randomBytes(SERVER_NONCE_BYTES).toString("base64");
    this.serverFirst = `r=${this.nonce},s=${this.secret.salt.toString("base64")},i=${this.secret.iterations}`;
    return { message: this.serverFirst };
  }

  /** Handle the SASLResponse carrying client-final-message; throws 28P01 on a wrong proof. */
  finish(clientFinal: string): ScramVerified {
    const proofAt = clientFinal.lastIndexOf(",p=");
    if (proofAt < 0) throw malformed("client-final-message: missing proof");
    const withoutProof = clientFinal.slice(0, proofAt);
    const attrs = parseAttributes(withoutProof);
    if (!attrs || attrs[0]?.[0] !== "c" || attrs[1]?.[0] !== "r") throw malformed("client-final-message: expected c= and r=");
    const binding = decodeBase64(attrs[0][1]);
    if (!binding) throw malformed("client-final-message: invalid channel binding encoding");
    const expected = this.usesChannelBinding
      ? Buffer.concat([Buffer.from(this.gs2Header), this.binding.endpointHash!])
      : Buffer.from(this.gs2Header);
    if (!constantTimeEqual(binding, expected)) {
      throw protocolError("SCRAM channel binding check failed");
    }
    if (attrs[1][1] !== this.nonce) throw malformed("client-final-message: nonce mismatch");
    const proof = decodeBase64(clientFinal.slice(proofAt + 3));
    if (!proof || proof.length !== 32) throw malformed("client-final-message: invalid proof");
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.secret.storedKey, authMessage);
    const clientKey = xor(proof, clientSignature);
    if (!constantTimeEqual(sha256(clientKey), this.secret.storedKey)) throw passwordFailed(this.user);
    return { clientKey, serverFinal: `v=${hmac(this.secret.serverKey, authMessage).toString("base64")}` };
  }
}

/** The exact error PostgreSQL gives for a wrong password, also used for unknown roles. */
export function passwordFailed(user: string): ClientError {
  return new ClientError("auth", SQLSTATE.invalidPassword, `password authentication failed for user "${user}"`);
}

const malformed = (what: string) => protocolError(`malformed SCRAM message (${what})`);
