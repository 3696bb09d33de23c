import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseConnectionString } from "pg-connection-string";
import { describe, expect, it } from "vitest";
import { connectionInfo } from "../../controlplane/connection-strings.js";
import { SecretBox } from "../../controlplane/crypto/secret-box.js";
import { loadSecretKey } from "../../controlplane/crypto/secret-key.js";
import { RateLimiter } from "../../controlplane/identity/rate-limit.js";
import { renderPgBouncer } from "../../controlplane/pooler/pgbouncer-config.js";

describe("SecretBox (AES-256-GCM)", () => {
  it("round-trips, binds the ciphertext to its row, and detects tampering", () => {
    const box = new SecretBox(randomBytes(32));
    const sealed = box.seal("s3cret-password", "cl_row1");
    expect(sealed.includes(Buffer.from("s3cret-password"))).toBe(false);
    expect(box.open(sealed, "cl_row1")).toBe("s3cret-password");
    expect(() => box.open(sealed, "cl_row2")).toThrow();
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1]! ^= 1;
    expect(() => box.open(tampered, "cl_row1")).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(sealed, "cl_row1")).toThrow();
  });

  it("generates the key file once with mode 0600 and reads hex or base64 keys", () => {
    const dir = mkdtempSync(join(tmpdir(), "orochi-key-"));
    try {
      const file = join(dir, "sub", "secret.key");
      const key = loadSecretKey({ file, create: true });
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(loadSecretKey({ file, create: true }).equals(key)).toBe(true);
      expect(loadSecretKey({ value: key.toString("hex") }).equals(key)).toBe(true);
      expect(() => loadSecretKey({ file: join(dir, "missing"), create: false })).toThrow(/does not exist/);
      writeFileSync(join(dir, "short"), "abcd");
      expect(() => loadSecretKey({ file: join(dir, "short"), create: false })).toThrow(/32 bytes/);
      expect(readFileSync(file, "utf8").trim()).toBe(key.toString("base64"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("RateLimiter", () => {
  it("allows the burst, then answers with the seconds until the next token, and refills", () => {
    let now = 0;
    const limiter = new RateLimiter(undefined, () => now);
    for (let i = 0; i < 100; i++) expect(limiter.take("k", "free")).toBe(0);
    expect(limiter.take("k", "free")).toBe(1); // 60/min: one token per second
    expect(limiter.take("other", "free")).toBe(0);
    now += 1000;
    expect(limiter.take("k", "free")).toBe(0);
    expect(limiter.take("k", "free")).toBe(1);
    for (let i = 0; i < 600; i++) expect(limiter.take("p", "pro")).toBe(0);
    expect(limiter.take("p", "pro")).toBe(1);
  });
});

describe("connection strings", () => {
  const local = { proxyAddress: "127.0.0.1", proxyPort: 4432, region: "local", domain: "orochi.localhost", caFile: "/state dir/tls/ca.crt" };
  const target = { endpointId: "ep-quiet-river-a1b2c3d4", database: "app", user: "app", password: "Pw0rdAbc" };

  it("local: names 127.0.0.1, carries the endpoint in options, and node-postgres reads every part", () => {
    const info = connectionInfo(local, target);
    expect(info.connection_string).toBe(
      "postgresql://app:Pw0rdAbc@127.0.0.1:4432/app?sslmode=verify-full&sslrootcert=/state%20dir/tls/ca.crt&options=endpoint%3Dep-quiet-river-a1b2c3d4",
    );
    expect(info.server_name).toBe("ep-quiet-river-a1b2c3d4.local.orochi.localhost");
    // pg-connection-string reads sslrootcert from disk; give it a real file.
    const dir = mkdtempSync(join(tmpdir(), "orochi-ca-"));
    try {
      const ca = join(dir, "ca.crt");
      writeFileSync(ca, "-----BEGIN CERTIFICATE-----\n");
      const parsed = parseConnectionString(connectionInfo({ ...local, caFile: ca }, target).pooled_connection_string);
      expect(parsed).toMatchObject({ host: "127.0.0.1", port: "4432", user: "app", password: "Pw0rdAbc", database: "app", options: "endpoint=ep-quiet-river-a1b2c3d4-pooler", sslmode: "verify-full" });
      expect((parsed.ssl as { ca?: string }).ca).toContain("BEGIN CERTIFICATE");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("production: host names carry the endpoint (SNI), no options", () => {
    const info = connectionInfo({ proxyAddress: null, proxyPort: 5432, region: "eu-west-1", domain: "db.example.com", caFile: null }, target);
    expect(info.connection_string).toBe("postgresql://app:Pw0rdAbc@ep-quiet-river-a1b2c3d4.eu-west-1.db.example.com:5432/app?sslmode=verify-full");
    expect(info.pooled_connection_string).toContain("@ep-quiet-river-a1b2c3d4-pooler.eu-west-1.db.example.com:5432/");
    expect(info.options).toBeNull();
  });
});

describe("PgBouncer rendering", () => {
  it("gives each tenant its own pooler user and database, and an HBA line only for that pair", () => {
    const files = { authFile: "/p/users.txt", hbaFile: "/p/hba.conf", logFile: "/p/log", pidFile: "/p/pid" };
    const e = (id: string, port: number) => ({ endpointId: id, computeHost: "127.0.0.1", computePort: port, database: "app", role: "app", scramSecret: `SECRET-${id}`, poolSize: 12 });
    const r = renderPgBouncer({ listenHost: "127.0.0.1", listenPort: 6432, adminUser: "adm", adminSecret: "ADM", allowFrom: ["127.0.0.1/32"], files, entries: [e("ep-b-2", 2), e("ep-a-1", 1)] });
    expect(r.ini).toContain("ep-a-1 = host=127.0.0.1 port=1 dbname=app user=app pool_size=12");
    expect(r.ini).toContain("pool_mode = transaction");
    expect(r.ini).toContain("auth_type = hba");
    expect(r.authFile.split("\n")).toEqual(['"adm" "ADM"', '"app@ep-a-1" "SECRET-ep-a-1"', '"app@ep-b-2" "SECRET-ep-b-2"', ""]);
    expect(r.hbaFile).toContain('host ep-a-1 "app@ep-a-1" 127.0.0.1/32 scram-sha-256');
    expect(r.hbaFile).not.toMatch(/host ep-a-1 "app@ep-b-2"/);
  });
});
