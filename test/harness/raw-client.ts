import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { serialize } from "pg-protocol";
import { clientKeyFrom, hmac, saltedPassword, serverKeyFrom, sha256, xor } from "../../common/scram/index.js";

/** A backend message as read by the raw client. */
export interface RawMessage {
  tag: string;
  body: Buffer;
}

/**
 * A deliberately low-level PostgreSQL client for tests: writes arbitrary bytes and reads
 * backend messages, so tests can send what no driver would (and PG17 direct TLS).
 */
export class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;

  constructor(public socket: Socket | TLSSocket) {
    this.attach(socket);
  }

  static async plain(port: number, host = "127.0.0.1"): Promise<RawClient> {
    const s = netConnect({ port, host });
    await new Promise<void>((res, rej) => s.once("connect", res).once("error", rej));
    return new RawClient(s);
  }

  /** PG17 direct TLS: TLS from the first byte, ALPN "postgresql". */
  static async directTls(port: number, opts: { ca: Buffer; servername: string; alpn?: string[] }): Promise<RawClient> {
    const s = tlsConnect({ port, host: "127.0.0.1", ca: opts.ca, servername: opts.servername, ...(opts.alpn?.length === 0 ? {} : { ALPNProtocols: opts.alpn ?? ["postgresql"] }) });
    await new Promise<void>((res, rej) => s.once("secureConnect", res).once("error", rej));
    return new RawClient(s);
  }

  /** SSLRequest, expect 'S', then TLS. */
  async startTls(opts: { ca: Buffer; servername: string }): Promise<void> {
    this.write(sslRequest());
    const answer = await this.readBytes(1);
    if (answer.toString() !== "S") throw new Error(`expected S, got ${answer.toString()}`);
    this.socket.removeAllListeners("data");
    const s = tlsConnect({ socket: this.socket as Socket, ca: opts.ca, servername: opts.servername });
    await new Promise<void>((res, rej) => s.once("secureConnect", res).once("error", rej));
    this.socket = s;
    this.attach(s);
  }

  write(data: Buffer | Uint8Array): void {
    this.socket.write(data);
  }

  async readBytes(n: number, timeoutMs = 10_000): Promise<Buffer> {
    await this.until(() => this.buf.length >= n, timeoutMs);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  async readMessage(timeoutMs = 10_000): Promise<RawMessage> {
    await this.until(() => this.buf.length >= 5 && this.buf.length >= 1 + this.buf.readUInt32BE(1), timeoutMs);
    const len = this.buf.readUInt32BE(1);
    const msg = { tag: String.fromCharCode(this.buf[0]!), body: this.buf.subarray(5, 1 + len) };
    this.buf = this.buf.subarray(1 + len);
    return msg;
  }

  /** Read messages until an ErrorResponse; returns its fields (C, M, H...). */
  async readError(timeoutMs = 10_000): Promise<Record<string, string>> {
    for (;;) {
      const m = await this.readMessage(timeoutMs);
      if (m.tag === "E") return errorFields(m.body);
    }
  }

  /** Resolves once the server has closed the connection. */
  async waitClosed(timeoutMs = 10_000): Promise<void> {
    await this.until(() => this.closed, timeoutMs);
  }

  /** Startup + SCRAM-SHA-256 (no channel binding) with a password; returns messages up to ReadyForQuery. */
  async login(params: Record<string, string>, password: string): Promise<RawMessage[]> {
    this.write(serialize.startup(params));
    const seen: RawMessage[] = [];
    const nonce = "rawclientnonce" + Math.random().toString(36).slice(2);
    const bare = `n=,r=${nonce}`;
    let expectedServerSig: Buffer | null = null;
    for (;;) {
      const m = await this.readMessage();
      seen.push(m);
      if (m.tag === "E") throw new Error(`login failed: ${JSON.stringify(errorFields(m.body))}`);
      if (m.tag === "Z") return seen;
      if (m.tag !== "R") continue;
      const code = m.body.readInt32BE(0);
      if (code === 10) this.write(serialize.sendSASLInitialResponseMessage("SCRAM-SHA-256", `n,,${bare}`));
      else if (code === 11) {
        const serverFirst = m.body.toString("utf8", 4);
        const attrs = Object.fromEntries(serverFirst.split(",").map((a) => [a[0], a.slice(2)]));
        const salted = await saltedPassword(password, Buffer.from(attrs.s!, "base64"), Number(attrs.i));
        const clientKey = clientKeyFrom(salted);
        const withoutProof = `c=biws,r=${attrs.r}`;
        const authMessage = `${bare},${serverFirst},${withoutProof}`;
        const proof = xor(clientKey, hmac(sha256(clientKey), authMessage));
        expectedServerSig = hmac(serverKeyFrom(salted), authMessage);
        this.write(serialize.sendSCRAMClientFinalMessage(`${withoutProof},p=${proof.toString("base64")}`));
      } else if (code === 12) {
        if (m.body.toString("utf8", 4) !== `v=${expectedServerSig!.toString("base64")}`) throw new Error("bad server signature");
      }
    }
  }

  /** Simple query; returns the rows' first column values as strings. */
  async query(sql: string): Promise<string[]> {
    this.write(serialize.query(sql));
    const values: string[] = [];
    for (;;) {
      const m = await this.readMessage();
      if (m.tag === "E") throw new Error(JSON.stringify(errorFields(m.body)));
      if (m.tag === "D") {
        const len = m.body.readInt32BE(2);
        values.push(m.body.toString("utf8", 6, 6 + len));
      }
      if (m.tag === "Z") return values;
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private attach(s: Socket | TLSSocket): void {
    s.on("data", (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    s.on("close", () => {
      this.closed = true;
      this.wake();
    });
    s.on("error", () => undefined);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private async until(cond: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (this.closed && !cond()) throw new Error(`connection closed (buffered ${this.buf.length} bytes)`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out waiting for the server");
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }
}

export function sslRequest(): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(8, 0);
  b.writeUInt32BE(80877103, 4);
  return b;
}

export function gssEncRequest(): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(8, 0);
  b.writeUInt32BE(80877104, 4);
  return b;
}

export function cancelRequest(processId: number, secretKey: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(16, 0);
  b.writeUInt32BE(80877102, 4);
  b.writeInt32BE(processId, 8);
  b.writeInt32BE(secretKey, 12);
  return b;
}

/** A StartupMessage with an arbitrary protocol version. */
export function startupPacket(params: Record<string, string>, version = 196608): Buffer {
  const body = Buffer.concat([
    ...Object.entries(params).flatMap(([k, v]) => [Buffer.from(k + "\0"), Buffer.from(v + "\0")]),
    Buffer.from([0]),
  ]);
  const b = Buffer.alloc(8 + body.length);
  b.writeUInt32BE(b.length, 0);
  b.writeUInt32BE(version >>> 0, 4);
  body.copy(b, 8);
  return b;
}

export function errorFields(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < body.length && body[pos] !== 0) {
    const end = body.indexOf(0, pos + 1);
    out[String.fromCharCode(body[pos]!)] = body.toString("utf8", pos + 1, end);
    pos = end + 1;
  }
  return out;
}
