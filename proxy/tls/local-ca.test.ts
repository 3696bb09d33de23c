import { X509Certificate } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../../test/harness/tempdir.js";
import { CertificateStore } from "./cert-store.js";
import { ensureLocalCertificates } from "./local-ca.js";

describe("local CA", () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it("generates an ECDSA CA and a wildcard certificate once, then reuses them", async () => {
    const files = await ensureLocalCertificates(join(dir.path, "tls"), ["local.orochi.localhost"]);
    const ca = new X509Certificate(readFileSync(files.caFile));
    const leaf = new X509Certificate(readFileSync(files.certFile));
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkHost("ep-demo-1.local.orochi.localhost")).toBe("*.local.orochi.localhost");
    expect(leaf.checkHost("other.example.com")).toBeUndefined();
    expect(leaf.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(leaf.publicKey.asymmetricKeyType).toBe("ec");
    expect(statSync(files.keyFile).mode & 0o777).toBe(0o600);
    const before = readFileSync(files.certFile, "utf8");
    await ensureLocalCertificates(join(dir.path, "tls"), ["local.orochi.localhost"]);
    expect(readFileSync(files.certFile, "utf8")).toBe(before);
    // A new domain renews the leaf but keeps the CA.
    const caBefore = readFileSync(files.caFile, "utf8");
    await ensureLocalCertificates(join(dir.path, "tls"), ["local.orochi.localhost", "eu.example.test"]);
    expect(readFileSync(files.certFile, "utf8")).not.toBe(before);
    expect(readFileSync(files.caFile, "utf8")).toBe(caBefore);
  });

  it("selects certificates by SNI with a wildcard walk", async () => {
    const a = await ensureLocalCertificates(join(dir.path, "a"), ["local.orochi.localhost"]);
    const b = await ensureLocalCertificates(join(dir.path, "b"), ["eu.example.test"]);
    const store = CertificateStore.load([a, b]);
    const [ea, eb] = store.entries;
    expect(store.select("ep-1.eu.example.test")).toBe(eb);
    expect(store.select("ep-1.local.orochi.localhost")).toBe(ea);
    expect(store.select("x.y.eu.example.test")).toBe(eb);
    expect(store.select(undefined)).toBe(ea);
    expect(store.select("unknown.host")).toBe(ea);
    expect(ea!.endpointHash.length).toBe(32);
  });
});
