import type { Duplex } from "node:stream";
import { ClientError, SQLSTATE, protocolError } from "./errors.js";

/** The smallest legal length of any length-prefixed packet: the int32 length itself. */
const LENGTH_FIELD = 4;
/** Stop reading from the peer while this much is buffered and nobody asked for it. */
const HIGH_WATER_MARK = 64 * 1024;

export interface TaggedMessage {
  tag: number;
  /** Message body without tag and length. */
  body: Buffer;
}

type Pending =
  | { kind: "untagged"; max: number; resolve: (b: Buffer) => void; reject: (e: Error) => void }
  | {
      kind: "tagged";
      max: number;
      expect: { tags: readonly number[]; name: string } | null;
      resolve: (m: TaggedMessage) => void;
      reject: (e: Error) => void;
    }
  | { kind: "peek"; resolve: (byte: number) => void; reject: (e: Error) => void }
  | { kind: "fixed"; size: number; resolve: (b: Buffer) => void; reject: (e: Error) => void };

/**
 * Incremental framing of the handshake phase: collects chunks and hands out whole packets,
 * checking each declared length against a cap before any body is buffered. Used on both
 * sides (client and compute) until the session is spliced; then detach() returns what is left.
 */
export class PacketReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private pending: Pending | null = null;
  private failure: Error | null = null;
  private readonly onData = (chunk: Buffer) => this.push(chunk);
  private readonly onEnd = () => this.fail(new ClientError("disconnect", SQLSTATE.connectionFailure, "peer closed the connection"));
  private readonly onError = (err: Error) =>
    this.fail(new ClientError("disconnect", SQLSTATE.connectionFailure, "connection error", err.message));

  constructor(
    private readonly socket: Duplex,
    /** Describes the peer in protocol errors ("client" or "compute"). */
    private readonly peer: string = "client",
  ) {
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("close", this.onEnd);
    socket.on("error", this.onError);
  }

  get bufferedLength(): number {
    return this.buffered;
  }

  /** First byte without consuming it. */
  peekByte(): Promise<number> {
    return this.request<number>((resolve, reject) => ({ kind: "peek", resolve, reject }));
  }

  /** Exactly `size` bytes (fixed-layout headers such as PROXY protocol v2). */
  readFixed(size: number): Promise<Buffer> {
    return this.request<Buffer>((resolve, reject) => ({ kind: "fixed", size, resolve, reject }));
  }

  /** An untagged packet (startup family): int32 length (including itself), then body. Returns the body. */
  readUntagged(maxLength: number): Promise<Buffer> {
    return this.request<Buffer>((resolve, reject) => ({ kind: "untagged", max: maxLength, resolve, reject }));
  }

  /**
   * A tagged message: byte tag, int32 length (including itself), then body. With `expect`
   * (e.g. {tags: [0x70], name: "SASLResponse"}), any other tag is refused as soon as it arrives,
   * before its length is even looked at.
   */
  readTagged(maxLength: number, expect?: { tags: readonly number[]; name: string }): Promise<TaggedMessage> {
    return this.request<TaggedMessage>((resolve, reject) => ({ kind: "tagged", max: maxLength, expect: expect ?? null, resolve, reject }));
  }

  /** Stop reading; the socket is paused and the bytes already received are returned. */
  detach(): Buffer {
    this.socket.off("data", this.onData);
    this.socket.off("end", this.onEnd);
    this.socket.off("close", this.onEnd);
    this.socket.off("error", this.onError);
    this.socket.pause();
    const rest = this.take(this.buffered);
    if (this.pending) {
      this.pending.reject(new Error("reader detached"));
      this.pending = null;
    }
    return rest;
  }

  private request<T>(make: (resolve: (v: T) => void, reject: (e: Error) => void) => Pending): Promise<T> {
    if (this.pending) return Promise.reject(new Error("PacketReader: concurrent reads"));
    return new Promise<T>((resolve, reject) => {
      this.pending = make(resolve as never, reject);
      this.drive();
      if (this.pending && this.failure) this.settleFailure();
      if (this.pending) this.socket.resume();
    });
  }

  private push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.drive();
    if (!this.pending && this.buffered >= HIGH_WATER_MARK) this.socket.pause();
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.settleFailure();
  }

  private settleFailure(): void {
    const p = this.pending;
    if (!p || !this.failure) return;
    // A peer that sent a complete packet and then closed still gets that packet served.
    this.drive();
    if (this.pending === p) {
      this.pending = null;
      p.reject(this.failure);
    }
  }

  /** Serve the pending request if enough bytes are buffered; reject early on bad lengths. */
  private drive(): void {
    const p = this.pending;
    if (!p) return;
    try {
      if (p.kind === "peek") {
        if (this.buffered < 1) return;
        this.pending = null;
        p.resolve(this.chunks[0]![0]!);
        return;
      }
      if (p.kind === "fixed") {
        if (this.buffered < p.size) return;
        this.pending = null;
        p.resolve(this.take(p.size));
        return;
      }
      if (p.kind === "tagged" && p.expect && this.buffered >= 1) {
        const tag = this.chunks[0]![0]!;
        if (!p.expect.tags.includes(tag)) {
          throw protocolError(`expected ${p.expect.name} message, got message type ${JSON.stringify(String.fromCharCode(tag))}`);
        }
      }
      const header = p.kind === "tagged" ? 1 + LENGTH_FIELD : LENGTH_FIELD;
      if (this.buffered < header) return;
      const head = this.peek(header);
      const length = head.readUInt32BE(header - LENGTH_FIELD);
      const what = p.kind === "untagged" ? "startup packet" : `${this.peer} message`;
      // The shortest startup packet is 8 bytes (length + request code).
      if (length < (p.kind === "untagged" ? 2 * LENGTH_FIELD : LENGTH_FIELD)) throw protocolError(`invalid length of ${what}: ${length}`);
      if (length > p.max) throw protocolError(`invalid length of ${what}: ${length} bytes exceeds the limit of ${p.max}`);
      const total = header - LENGTH_FIELD + length;
      if (this.buffered < total) return;
      const packet = this.take(total);
      this.pending = null;
      if (p.kind === "tagged") p.resolve({ tag: packet[0]!, body: packet.subarray(header) });
      else p.resolve(packet.subarray(header));
    } catch (err) {
      this.pending = null;
      p.reject(err as Error);
    }
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    return Buffer.concat(this.chunks, this.buffered).subarray(0, n);
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length === n) {
      this.chunks.shift();
      out = first;
    } else if (first.length > n) {
      out = first.subarray(0, n);
      this.chunks[0] = first.subarray(n);
    } else {
      const all = Buffer.concat(this.chunks, this.buffered);
      out = all.subarray(0, n);
      this.chunks = n < all.length ? [all.subarray(n)] : [];
    }
    this.buffered -= n;
    return out;
  }
}
