import "reflect-metadata";
import { X509Certificate as NodeX509 } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as never);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** ECDSA P-256: a TLS handshake costs a fraction of RSA-2048's CPU (measured in issue 2). */
const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const CA_VALIDITY_DAYS = 3650;
const LEAF_VALIDITY_DAYS = 397;
/** Renew the leaf certificate when it has less than this left. */
const RENEW_BEFORE_DAYS = 30;
const DAY_MS = 86_400_000;

export interface LocalCertificates {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/**
 * A local CA and a wildcard server certificate for the proxy's domains, generated into
 * `<dir>` on first start and reused afterwards (renewed when the names change or expiry nears).
 * The certificate also names localhost, 127.0.0.1 and ::1 so that connection strings which
 * carry the endpoint in `options` verify against an address.
 */
export async function ensureLocalCertificates(dir: string, domains: readonly string[]): Promise<LocalCertificates> {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const files: LocalCertificates = {
    caFile: join(dir, "ca.crt"),
    certFile: join(dir, "server.crt"),
    keyFile: join(dir, "server.key"),
  };
  const caKeyFile = join(dir, "ca.key");
  const names = [...domains.flatMap((d) => [`*.${d}`, d]), "localhost", "127.0.0.1", "::1"];

  let ca: { cert: x509.X509Certificate; key: CryptoKey };
  if (existsSync(files.caFile) && existsSync(caKeyFile)) {
    ca = { cert: new x509.X509Certificate(readFileSync(files.caFile, "utf8")), key: await importKey(readFileSync(caKeyFile, "utf8")) };
  } else {
    ca = await createCa();
    writeAtomic(caKeyFile, await exportKey(ca.key), 0o600);
    writeAtomic(files.caFile, ca.cert.toString("pem") + "\n", 0o644);
  }
  if (!leafIsUsable(files, names)) {
    const leaf = await createLeaf(ca, names);
    writeAtomic(files.keyFile, await exportKey(leaf.key), 0o600);
    writeAtomic(files.certFile, leaf.cert.toString("pem") + "\n" + ca.cert.toString("pem") + "\n", 0o644);
  }
  return files;
}

function leafIsUsable(files: LocalCertificates, names: readonly string[]): boolean {
  if (!existsSync(files.certFile) || !existsSync(files.keyFile)) return false;
  try {
    const cert = new NodeX509(readFileSync(files.certFile));
    if (new Date(cert.validTo).getTime() - Date.now() < RENEW_BEFORE_DAYS * DAY_MS) return false;
    const san = cert.subjectAltName ?? "";
    return names.every((n) => san.includes(isIP(n) ? `IP Address:${n === "::1" ? "0:0:0:0:0:0:0:1" : n}` : `DNS:${n}`) || san.includes(`IP Address:${n}`));
  } catch {
    return false;
  }
}

async function createCa(): Promise<{ cert: x509.X509Certificate; key: CryptoKey }> {
  const keys = (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: "CN=Orochi local CA, O=Orochi Cloud (local)",
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + CA_VALIDITY_DAYS * DAY_MS),
    signingAlgorithm: KEY_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, key: keys.privateKey };
}

async function createLeaf(
  ca: { cert: x509.X509Certificate; key: CryptoKey },
  names: readonly string[],
): Promise<{ cert: x509.X509Certificate; key: CryptoKey }> {
  const keys = (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${names[0]}`,
    issuer: ca.cert.subject,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + LEAF_VALIDITY_DAYS * DAY_MS),
    signingAlgorithm: KEY_ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: ca.key,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension(names.map((n) => (isIP(n) ? { type: "ip", value: n } : { type: "dns", value: n }))),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  return { cert, key: keys.privateKey };
}

function serial(): string {
  // Positive 16-byte serial: clear the top bit.
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0] = b[0]! & 0x7f;
  return Buffer.from(b).toString("hex");
}

async function exportKey(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "")}\n-----END PRIVATE KEY-----\n`;
}

async function importKey(pem: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
  return webcrypto.subtle.importKey("pkcs8", der, KEY_ALGORITHM, true, ["sign"]);
}

function writeAtomic(file: string, data: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}
