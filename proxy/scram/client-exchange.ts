import { randomBytes } from "node:crypto";
import { decodeBase64, isPrintableNonce, parseAttributes } from "./attributes.js";
import { constantTimeEqual, hmac, sha256, xor } from "../../common/scram/primitives.js";

const CLIENT_NONCE_BYTES = 18;
/** GS2 header for "no channel binding" ("n,,"), base64-encoded for the c= attribute. */
const GS2_NO_BINDING = "n,,";
const GS2_NO_BINDING_B64 = Buffer.from(GS2_NO_BINDING).toString("base64");

export class ScramClientError extends Error {}

/**
 * The client half of SCRAM-SHA-256 driven by keys instead of a password: with the ClientKey
 * recovered from the user's proof and the ServerKey from the stored verifier the proxy can log
 * in to the compute (or pooler) holding the same verifier, and authenticate it in turn.
 */
export class ScramClientExchange {
  private readonly clientNonce = randomBytes(CLIENT_NONCE_BYTES).toString("base64");
  private readonly clientFirstBare = `n=,r=${this.clientNonce}`;
  private expectedServerSignature: Buffer | null = null;

  constructor(
    private readonly clientKey: Buffer,
    private readonly serverKey: Buffer,
  ) {}

  /** client-first-message for SASLInitialResponse. */
  first(): string {
    return GS2_NO_BINDING + this.clientFirstBare;
  }

  /** Answer the server-first-message with the client-final-message. */
  final(serverFirst: string): string {
    const attrs = parseAttributes(serverFirst);
    if (!attrs || attrs[0]?.[0] !== "r" || attrs[1]?.[0] !== "s" || attrs[2]?.[0] !== "i") {
      throw new ScramClientError("malformed server-first-message");
    }
    const nonce = attrs[0][1];
    if (!nonce.startsWith(this.clientNonce) || nonce.length === this.clientNonce.length || !isPrintableNonce(nonce)) {
      throw new ScramClientError("server nonce does not extend the client nonce");
    }
    const withoutProof = `c=${GS2_NO_BINDING_B64},r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const storedKey = sha256(this.clientKey);
    const proof = xor(this.clientKey, hmac(storedKey, authMessage));
    this.expectedServerSignature = hmac(this.serverKey, authMessage);
    return `${withoutProof},p=${proof.toString("base64")}`;
  }

  /** Check the server-final-message: the server must prove it holds the same verifier. */
  verify(serverFinal: string): void {
    const attrs = parseAttributes(serverFinal);
    if (!attrs || !this.expectedServerSignature) throw new ScramClientError("malformed server-final-message");
    const [name, value] = attrs[0]!;
    if (name === "e") throw new ScramClientError(`server reported SCRAM error: ${value}`);
    const signature = name === "v" ? decodeBase64(value) : null;
    if (!signature || !constantTimeEqual(signature, this.expectedServerSignature)) {
      throw new ScramClientError("server signature mismatch");
    }
  }
}
