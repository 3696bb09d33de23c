import { mkdir, open, readFile, stat, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../../common/log.js";
import { listSegments, offsetAfterNextNewline, readRange, removeIfExists, segmentFileName, syncDirectory, writeFileDurably } from "./spool-files.js";
import { parseSpoolLine, type UsageRecord } from "./usage-record.js";

const CURSOR_FILE = "cursor.json";
/** Records the control plane refused as invalid: kept for an operator, never dropped. */
export const REJECTED_FILE = "rejected.jsonl";

/** A place in the spool: a segment and a byte offset in it. */
export interface SpoolPosition {
  segment: number;
  offset: number;
}

export interface SpoolBatch {
  records: UsageRecord[];
  /** Where the spool continues after this batch; ack(end) removes it. */
  end: SpoolPosition;
}

export class SpoolFullError extends Error {
  readonly code = "SPOOL_FULL";
  constructor(readonly neededBytes: number, readonly spoolBytes: number, readonly maxBytes: number) {
    super(`usage spool full: ${spoolBytes} of ${maxBytes} bytes used, ${neededBytes} more needed`);
  }
}

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  segmentMaxBytes: number;
  log: Logger;
  /** A truncated or corrupt line was skipped (already logged). */
  onCorruptLine?(): void;
}

interface Segment {
  seq: number;
  size: number;
}

/**
 * The meter's durable queue: an append-only log of JSON lines (one usage record per line) in
 * segment files, plus a cursor file saying how far the control plane has acknowledged.
 *
 * - append() writes one batch of lines with one write and one fdatasync: the meter appends once
 *   per record interval, so the fsync rate is bounded by that interval, not by traffic.
 * - readBatch() reads from the cursor; ack() moves the cursor (written atomically) and deletes
 *   every segment wholly behind it. The active segment is rolled over as soon as it is fully
 *   acknowledged, so an idle, caught-up spool holds (almost) nothing.
 * - Each open() starts a new active segment, so a line a crash cut short is never glued to a
 *   new one; on reading, a truncated or corrupt line is logged and skipped, the rest replays.
 * - Past maxBytes append() writes what fits and reports how much; the caller keeps the rest in
 *   memory and says so loudly.
 *
 * All operations run one at a time (reads never see a half-written append).
 */
export class UsageSpool {
  private segments: Segment[] = [];
  private cursor: SpoolPosition = { segment: 0, offset: 0 };
  private active: FileHandle | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly reportedCorrupt = new Set<string>();

  private constructor(private readonly opts: SpoolOptions) {}

  static async open(opts: SpoolOptions): Promise<UsageSpool> {
    const spool = new UsageSpool(opts);
    await spool.load();
    return spool;
  }

  /** Bytes on disk (what maxBytes bounds). */
  get bytes(): number {
    return this.segments.reduce((n, s) => n + s.size, 0);
  }

  /** Bytes not yet acknowledged. */
  get pendingBytes(): number {
    let n = 0;
    for (const s of this.segments) {
      if (s.seq > this.cursor.segment) n += s.size;
      else if (s.seq === this.cursor.segment) n += Math.max(0, s.size - this.cursor.offset);
    }
    return n;
  }

  /**
   * Append as many of `records` as fit (in order) with one write and one fdatasync; returns how
   * many were written. Throws SpoolFullError when not even the first fits.
   */
  append(records: readonly UsageRecord[]): Promise<number> {
    if (records.length === 0) return Promise.resolve(0);
    return this.serial(async () => {
      const lines = records.map((r) => JSON.stringify(r) + "\n");
      let room = this.opts.maxBytes - this.bytes;
      let fit = 0;
      for (const line of lines) {
        const size = Buffer.byteLength(line);
        if (size > room) break;
        room -= size;
        fit++;
      }
      if (fit === 0) throw new SpoolFullError(Buffer.byteLength(lines[0]!), this.bytes, this.opts.maxBytes);
      const buf = Buffer.from(lines.slice(0, fit).join(""));
      const fh = this.active!;
      await fh.write(buf);
      await fh.datasync();
      const seg = this.activeSegment();
      seg.size += buf.length;
      if (seg.size >= this.opts.segmentMaxBytes) await this.roll();
      return fit;
    });
  }

  /** The next records from the cursor (one segment at a time); null when everything is acknowledged. */
  readBatch(maxRecords: number, maxBytes: number): Promise<SpoolBatch | null> {
    return this.serial(async () => {
      for (;;) {
        const seg = this.segments.find((s) => s.seq === this.cursor.segment)!;
        if (this.cursor.offset >= seg.size) {
          if (seg === this.activeSegment()) return null;
          await this.moveCursor({ segment: this.nextSeq(seg.seq), offset: 0 });
          continue;
        }
        const batch = await this.readFrom(seg, maxRecords, maxBytes);
        if (batch.records.length > 0) return batch;
        // Only skipped lines: step over them for good and look further.
        await this.moveCursor(batch.end);
      }
    });
  }

  /** The control plane stored everything before `end`. */
  ack(end: SpoolPosition): Promise<void> {
    return this.serial(() => this.moveCursor(end));
  }

  /** Records the control plane refused as invalid: moved to rejected.jsonl, then acknowledged. */
  reject(batch: SpoolBatch, reason: string): Promise<void> {
    return this.serial(async () => {
      const at = new Date().toISOString();
      const lines = batch.records.map((record) => JSON.stringify({ rejected_at: at, reason, record }) + "\n").join("");
      const fh = await open(join(this.opts.dir, REJECTED_FILE), "a", 0o600);
      try {
        await fh.write(lines);
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await this.moveCursor(batch.end);
    });
  }

  close(): Promise<void> {
    return this.serial(async () => {
      await this.active?.close();
      this.active = null;
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (!this.active) throw new Error("usage spool is closed");
      return fn();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async load(): Promise<void> {
    const dir = this.opts.dir;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const seqs = await listSegments(dir);
    for (const seq of seqs) this.segments.push({ seq, size: (await stat(join(dir, segmentFileName(seq)))).size });
    // Everything before the cursor is acknowledged; no cursor (or an unreadable one) replays all.
    const saved = await this.readCursor();
    const first = this.segments[0];
    const atSaved = saved && this.segments.find((s) => s.seq === saved.segment);
    if (saved && atSaved) this.cursor = { segment: saved.segment, offset: Math.min(saved.offset, atSaved.size) };
    else if (saved && first && saved.segment < first.seq) this.cursor = { segment: first.seq, offset: 0 };
    else this.cursor = { segment: saved?.segment ?? first?.seq ?? 0, offset: 0 };
    // Segments wholly behind the cursor: a crash between the cursor write and their deletion left them.
    for (const s of this.segments.filter((s) => s.seq < this.cursor.segment)) await removeIfExists(join(dir, segmentFileName(s.seq)));
    this.segments = this.segments.filter((s) => s.seq >= this.cursor.segment);
    await this.openActive(Math.max(this.cursor.segment, seqs[seqs.length - 1] ?? 0) + 1);
    if (!this.segments.some((s) => s.seq === this.cursor.segment)) this.cursor = { segment: this.activeSegment().seq, offset: 0 };
    if (this.pendingBytes > 0) this.opts.log.info({ spool: dir, pending_bytes: this.pendingBytes, segments: this.segments.length }, "usage spool has unacknowledged records; replaying them");
  }

  private async readCursor(): Promise<SpoolPosition | null> {
    let text: string;
    try {
      text = await readFile(join(this.opts.dir, CURSOR_FILE), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
    try {
      const c = JSON.parse(text) as Partial<SpoolPosition>;
      if (Number.isSafeInteger(c.segment) && Number.isSafeInteger(c.offset) && c.segment! >= 0 && c.offset! >= 0) return { segment: c.segment!, offset: c.offset! };
    } catch {
      // fall through
    }
    // Re-sending acknowledged records is harmless (ids and masks are idempotent); losing them is not.
    this.opts.log.warn({ spool: this.opts.dir }, "usage spool cursor unreadable; replaying the spool from its first segment");
    return null;
  }

  private async readFrom(seg: Segment, maxRecords: number, maxBytes: number): Promise<SpoolBatch> {
    const path = join(this.opts.dir, segmentFileName(seg.seq));
    const start = this.cursor.offset;
    const chunk = await readRange(path, start, Math.min(maxBytes, seg.size - start));
    const records: UsageRecord[] = [];
    let pos = 0;
    while (records.length < maxRecords) {
      const nl = chunk.indexOf(0x0a, pos);
      if (nl < 0) break;
      const line = chunk.subarray(pos, nl).toString("utf8");
      const parsed = parseSpoolLine(line);
      if ("record" in parsed) records.push(parsed.record);
      else this.corrupt(seg, start + pos, parsed.error);
      pos = nl + 1;
    }
    if (pos > 0 || records.length >= maxRecords) return { records, end: { segment: seg.seq, offset: start + pos } };
    // Not one whole line in the window.
    const sealed = seg !== this.activeSegment();
    if (chunk.length >= maxBytes) {
      this.corrupt(seg, start, `line longer than ${maxBytes} bytes`);
      return { records, end: { segment: seg.seq, offset: await offsetAfterNextNewline(path, start, seg.size, maxBytes) } };
    }
    if (sealed) {
      this.corrupt(seg, start, "truncated last line (the writer stopped mid-line)");
      return { records, end: { segment: seg.seq, offset: seg.size } };
    }
    return { records, end: { segment: seg.seq, offset: start } };
  }

  private corrupt(seg: Segment, offset: number, reason: string): void {
    const key = `${seg.seq}:${offset}`;
    if (this.reportedCorrupt.has(key)) return;
    this.reportedCorrupt.add(key);
    this.opts.onCorruptLine?.();
    this.opts.log.error({ spool: this.opts.dir, segment: segmentFileName(seg.seq), offset, reason }, "usage spool line skipped");
  }

  private async moveCursor(to: SpoolPosition): Promise<void> {
    this.cursor = to;
    const active = this.activeSegment();
    // Fully acknowledged active segment: start a new one so the old can go.
    if (to.segment === active.seq && to.offset >= active.size && active.size > 0) {
      await this.roll();
      this.cursor = { segment: this.activeSegment().seq, offset: 0 };
    }
    await writeFileDurably(this.opts.dir, CURSOR_FILE, JSON.stringify(this.cursor));
    const done = this.segments.filter((s) => s.seq < this.cursor.segment);
    if (done.length === 0) return;
    for (const s of done) {
      await removeIfExists(join(this.opts.dir, segmentFileName(s.seq)));
      for (const key of this.reportedCorrupt) if (key.startsWith(`${s.seq}:`)) this.reportedCorrupt.delete(key);
    }
    this.segments = this.segments.filter((s) => s.seq >= this.cursor.segment);
    await syncDirectory(this.opts.dir);
  }

  private async roll(): Promise<void> {
    await this.active?.close();
    await this.openActive(this.activeSegment().seq + 1);
  }

  private async openActive(seq: number): Promise<void> {
    this.active = await open(join(this.opts.dir, segmentFileName(seq)), "a", 0o600);
    this.segments.push({ seq, size: 0 });
    await syncDirectory(this.opts.dir);
  }

  private activeSegment(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  private nextSeq(seq: number): number {
    return this.segments.find((s) => s.seq > seq)!.seq;
  }
}
