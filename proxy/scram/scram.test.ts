import { describe, expect, it } from "vitest";
import { clientKeyFrom, hmac, saltedPassword, sha256, xor } from "../../common/scram/primitives.js";
import { fakeScramSecret, formatScramSecret, parseScramSecret, scramSecretFor } from "../../common/scram/secret.js";
import { ClientError } from "../protocol/errors.js";
import { ScramClientExchange } from "./client-exchange.js";
import { verifyCleartextPassword } from "./password.js";
import { ScramServerExchange } from "./server-exchange.js";

describe("SCRAM-SHA-256", () => {
  it("matches the RFC 7677 test vector", async () => {
    const salt = Buffer.from("W22ZaJ0SNY7soEsUEjb6gQ==", "base64");
    const secret = await scramSecretFor("pencil", 4096, salt);
    const authMessage =
      "n=user,r=rOprNGfwEbeRWgbNEkqO," +
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096," +
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    const proof = Buffer.from("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", "base64");
    const clientKey = xor(proof, hmac(secret.storedKey, authMessage));
    expect(sha256(clientKey)).toEqual(secret.storedKey);
    expect(hmac(secret.serverKey, authMessage).toString("base64")).toBe("6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  });

  it("parses and formats pg_authid verifiers", async () => {
    const s = await scramSecretFor("pw");
    const text = formatScramSecret(s);
    expect(text).toMatch(/^SCRAM-SHA-256\$4096:[^$]+\$[^:]+:.+$/);
    expect(parseScramSecret(text)).toEqual(s);
    for (const bad of ["md5abc", "SCRAM-SHA-256$x:abc$def:ghi", "SCRAM-SHA-256$4096:c2FsdA==$c2hvcnQ=:c2hvcnQ=", ""]) {
      expect(parseScramSecret(bad)).toBeNull();
    }
  });

  it("recovers the ClientKey from the proof and logs in with it (proxy to compute)", async () => {
    const secret = await scramSecretFor("correct horse");
    const expectedClientKey = clientKeyFrom(await saltedPassword("correct horse", secret.salt, secret.iterations));
    // The user's client, simulated with the key it would derive from its password.
    const user = new ScramClientExchange(expectedClientKey, secret.serverKey);
    const server = new ScramServerExchange(secret, { endpointHash: null }, "app");
    const first = server.start("SCRAM-SHA-256", user.first());
    const verified = server.finish(user.final(first.message));
    expect(verified.clientKey).toEqual(expectedClientKey);
    user.verify(verified.serverFinal);
  });

  it("a wrong password fails with 28P01", async () => {
    const secret = await scramSecretFor("right");
    const wrongKey = clientKeyFrom(await saltedPassword("wrong", secret.salt, secret.iterations));
    const user = new ScramClientExchange(wrongKey, secret.serverKey);
    const server = new ScramServerExchange(secret, { endpointHash: null }, "app");
    const first = server.start("SCRAM-SHA-256", user.first());
    expect(() => server.finish(user.final(first.message))).toThrow(expect.objectContaining({ sqlstate: "28P01" }));
  });

  it("checks tls-server-end-point channel binding", async () => {
    const secret = await scramSecretFor("pw");
    const endpointHash = sha256(Buffer.from("certificate"));
    const clientKey = clientKeyFrom(await saltedPassword("pw", secret.salt, secret.iterations));
    const run = (cbind: Buffer) => {
      const server = new ScramServerExchange(secret, { endpointHash }, "app");
      const gs2 = "p=tls-server-end-point,,";
      const bare = "n=,r=clientnonce";
      const first = server.start("SCRAM-SHA-256-PLUS", gs2 + bare).message;
      const nonce = /r=([^,]+)/.exec(first)![1];
      const withoutProof = `c=${Buffer.concat([Buffer.from(gs2), cbind]).toString("base64")},r=${nonce}`;
      const proof = xor(clientKey, hmac(secret.storedKey, `${bare},${first},${withoutProof}`));
      return server.finish(`${withoutProof},p=${proof.toString("base64")}`);
    };
    expect(run(endpointHash).clientKey).toEqual(clientKey);
    expect(() => run(sha256(Buffer.from("another certificate")))).toThrow(/channel binding check failed/);
  });

  it("refuses malformed client messages with protocol errors, never crashes", () => {
    const secret = fakeScramSecret(Buffer.alloc(32), "ep-x", "u");
    const inputs = ["", "n", "n,", "n,,", "n,,r=abc", "n,a=b,n=,r=x", "q,,n=,r=x", "p=other,,n=,r=x", "n,,n=,r=a,b", "n,,n=,r="];
    for (const input of inputs) {
      const server = new ScramServerExchange(secret, { endpointHash: null }, "u");
      expect(() => server.start("SCRAM-SHA-256", input)).toThrow(ClientError);
    }
    const server = new ScramServerExchange(secret, { endpointHash: null }, "u");
    server.start("SCRAM-SHA-256", "n,,n=,r=abc");
    for (const final of ["", "c=biws", "c=biws,r=abc,p=", "c=!!,r=abc,p=AAAA", "c=biws,r=wrong,p=" + Buffer.alloc(32).toString("base64")]) {
      expect(() => server.finish(final)).toThrow(ClientError);
    }
  });

  it("fake verifiers are stable per (endpoint, role) and differ between them", () => {
    const key = Buffer.alloc(32, 7);
    expect(fakeScramSecret(key, "ep-a", "x")).toEqual(fakeScramSecret(key, "ep-a", "x"));
    expect(fakeScramSecret(key, "ep-a", "x").salt).not.toEqual(fakeScramSecret(key, "ep-a", "y").salt);
    expect(fakeScramSecret(key, "ep-a", "x").iterations).toBe(4096);
  });

  it("checks cleartext passwords against a verifier (password hack path)", async () => {
    const secret = await scramSecretFor("hunter2");
    expect(await verifyCleartextPassword(secret, "hunter2")).toEqual(clientKeyFrom(await saltedPassword("hunter2", secret.salt, 4096)));
    expect(await verifyCleartextPassword(secret, "hunter3")).toBeNull();
  });
});
