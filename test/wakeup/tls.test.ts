import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../harness/tempdir.js";
import { failure } from "./expect-failure.js";
import { startSchedulerFixture, TEST_TOKEN, type SchedulerFixture } from "./scheduler-fixture.js";

/** A self-signed certificate for 127.0.0.1, made for this test run. */
function selfSignedCertificate(dir: string): { cert: Buffer; key: Buffer } {
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
    "-subj", "/CN=orochi-scheduler-test", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
    "-keyout", keyFile, "-out", certFile,
  ], { stdio: "ignore" });
  return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

describe("scheduler over TLS", () => {
  const certDir = tempDir("orochi-sched-tls-");
  let f: SchedulerFixture;
  let tls: { cert: Buffer; key: Buffer };
  beforeAll(async () => {
    tls = selfSignedCertificate(certDir.path);
    f = await startSchedulerFixture({ tls });
  });
  afterAll(async () => {
    await f?.dispose();
    certDir.remove();
  });

  it("serves clients that trust its certificate", async () => {
    const client = f.newClient({ tls: { ca: tls.cert, serverName: "localhost" } });
    expect(await client.describe()).toEqual([]);
  });

  it("refuses plaintext clients and clients that do not trust it", async () => {
    const plaintext = f.newClient({ token: TEST_TOKEN, retry: { maxAttempts: 1 } });
    expect((await failure(plaintext.describe())).code).toBe("SCHEDULER_UNAVAILABLE");
    const untrusting = f.newClient({ tls: { serverName: "localhost" }, retry: { maxAttempts: 1 } });
    expect((await failure(untrusting.describe())).code).toBe("SCHEDULER_UNAVAILABLE");
  });
});
