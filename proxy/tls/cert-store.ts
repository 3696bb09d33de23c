import "reflect-metadata";
import { createHash, X509Certificate as NodeX509 } from "node:crypto";
import { readFileSync } from "node:fs";
import { createSecureContext, type SecureContext } from "node:tls";
import * as x509 from "@peculiar/x509";

export interface CertificatePair {
  certFile: string;
  keyFile: string;
}

export interface CertificateEntry {
  readonly context: SecureContext;
  /** DNS names the certificate covers (from subjectAltName), lower case, wildcards as "*.x". */
  readonly names: readonly string[];
  /** RFC 5929 tls-server-end-point binding data for SCRAM-SHA-256-PLUS. */
  readonly endpointHash: Buffer;
}

/** Minimum TLS version we accept from clients; TLS 1.0/1.1 are broken. */
const MIN_TLS_VERSION = "TLSv1.2";

/**
 * The proxy's certificates, chosen per connection by SNI: an exact name first, then wildcard
 * names walking up the labels (a.b.c → *.b.c → *.c), else the first certificate. Built once;
 * reloading makes a new store.
 */
export class CertificateStore {
  private readonly byName = new Map<string, CertificateEntry>();

  private constructor(readonly entries: readonly CertificateEntry[]) {
    for (const e of entries) for (const n of e.names) if (!this.byName.has(n)) this.byName.set(n, e);
  }

  static load(pairs: readonly CertificatePair[]): CertificateStore {
    if (pairs.length === 0) throw new Error("no TLS certificate configured");
    return new CertificateStore(pairs.map(loadEntry));
  }

  get default(): CertificateEntry {
    return this.entries[0]!;
  }

  /** The certificate to present for an SNI host name (or none). */
  select(servername: string | undefined | null): CertificateEntry {
    if (!servername) return this.default;
    const host = servername.toLowerCase();
    const exact = this.byName.get(host);
    if (exact) return exact;
    let rest = host;
    for (let dot = rest.indexOf("."); dot >= 0; dot = rest.indexOf(".")) {
      rest = rest.slice(dot + 1);
      const wild = this.byName.get(`*.${rest}`);
      if (wild) return wild;
    }
    return this.default;
  }
}

function loadEntry(pair: CertificatePair): CertificateEntry {
  const certPem = readFileSync(pair.certFile);
  const keyPem = readFileSync(pair.keyFile);
  const context = createSecureContext({ cert: certPem, key: keyPem, minVersion: MIN_TLS_VERSION });
  const leaf = new NodeX509(certPem);
  const names = (leaf.subjectAltName ?? "")
    .split(", ")
    .filter((s) => s.startsWith("DNS:"))
    .map((s) => s.slice(4).toLowerCase());
  if (names.length === 0) {
    const cn = /CN=([^\n,]+)/.exec(leaf.subject)?.[1];
    if (cn) names.push(cn.toLowerCase());
  }
  return { context, names, endpointHash: serverEndPointHash(leaf.raw) };
}

/**
 * RFC 5929 §4.1: hash the certificate with the hash of its signature algorithm, using SHA-256
 * when that is MD5 or SHA-1.
 */
export function serverEndPointHash(der: Buffer): Buffer {
  const sigHash = new x509.X509Certificate(der).signatureAlgorithm.hash.name.toUpperCase();
  const algorithm = sigHash === "SHA-384" ? "sha384" : sigHash === "SHA-512" ? "sha512" : "sha256";
  return createHash(algorithm).update(der).digest();
}
