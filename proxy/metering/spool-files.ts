import { open, readdir, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** File-level helpers of the spool: names, durable writes, newline search. */

const SEGMENT_FILE = /^segment-(\d{12})\.jsonl$/;

export const segmentFileName = (seq: number): string => `segment-${String(seq).padStart(12, "0")}.jsonl`;

/** Sequence numbers of the segment files in `dir`, ascending. */
export async function listSegments(dir: string): Promise<number[]> {
  const seqs: number[] = [];
  for (const name of await readdir(dir)) {
    const m = SEGMENT_FILE.exec(name);
    if (m) seqs.push(Number(m[1]));
  }
  return seqs.sort((a, b) => a - b);
}

/** fsync a directory, so a created, renamed or deleted entry survives a crash. */
export async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Replace `path` atomically with `content`: write beside, flush, rename, flush the directory. */
export async function writeFileDurably(dir: string, name: string, content: string): Promise<void> {
  const tmp = join(dir, `${name}.tmp`);
  await writeFile(tmp, content, { mode: 0o600, flush: true });
  await rename(tmp, join(dir, name));
  await syncDirectory(dir);
}

export async function removeIfExists(path: string): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "ENOENT") throw err;
  });
}

/** Read up to `length` bytes of `path` from `offset`. */
export async function readRange(path: string, offset: number, length: number): Promise<Buffer> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Offset just past the next "\n" at or after `from`, or `size` when there is none. */
export async function offsetAfterNextNewline(path: string, from: number, size: number, chunkBytes: number): Promise<number> {
  for (let pos = from; pos < size; pos += chunkBytes) {
    const chunk = await readRange(path, pos, Math.min(chunkBytes, size - pos));
    const nl = chunk.indexOf(0x0a);
    if (nl >= 0) return pos + nl + 1;
  }
  return size;
}
