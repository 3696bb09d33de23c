import { readFileSync } from "node:fs";
import { mkdir, open, rename } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";

/** What survives a scheduler restart for one compute; the run state is read back from the backend. */
const computeRecordSchema = z.object({
  endpointId: z.string(),
  cu: z.number(),
  database: z.string(),
  role: z.string(),
  /** A SCRAM verifier (what pg_authid stores), not a password; the file is mode 0600. */
  scramSecret: z.string(),
  autoSuspendSeconds: z.number().int().nonnegative(),
  host: z.string(),
  port: z.number().int(),
  coldStarts: z.number().int().nonnegative(),
  /** False while a role/database/secret change still has to reach the compute (at its next start). */
  accessApplied: z.boolean(),
  createdAtMs: z.number(),
});
export type ComputeRecord = z.infer<typeof computeRecordSchema>;

const STATE_FILE_VERSION = 1;
const stateFileSchema = z.object({ version: z.literal(STATE_FILE_VERSION), computes: z.array(computeRecordSchema) });

/**
 * The scheduler's registry of computes in one JSON file, replaced atomically (write a temporary
 * file, fsync, rename, fsync the directory) so a crash leaves the old or the new version, never a
 * torn one. Writes are queued, so they land in call order.
 */
export class ComputeStateStore {
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  /** The saved records; none when the file does not exist. A corrupt file is an error, not an empty registry. */
  load(): ComputeRecord[] {
    let text: string;
    try {
      text = readFileSync(this.file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    const parsed = stateFileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`scheduler state file ${this.file} is not valid: ${parsed.error.message}`);
    return parsed.data.computes;
  }

  /** Queue a write of `records`; resolves when it is on disk. */
  save(records: readonly ComputeRecord[]): Promise<void> {
    const body = JSON.stringify({ version: STATE_FILE_VERSION, computes: records }, null, 2) + "\n";
    const write = this.queue.then(() => writeAtomically(this.file, body));
    this.queue = write.catch(() => undefined);
    return write;
  }

  /** Wait for queued writes. */
  async flush(): Promise<void> {
    await this.queue;
  }
}

// Asynchronous on purpose: a save follows every cold start and must not hold up the Wake answer.
async function writeAtomically(file: string, body: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  const handle = await open(tmp, "w", 0o600);
  try {
    await handle.writeFile(body);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
  const dir = await open(dirname(file), "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
