import { pino, type Logger } from "pino";

export interface CapturedLog {
  log: Logger;
  /** Parsed JSON lines written so far. */
  lines: Array<Record<string, unknown> & { msg: string; level: number }>;
}

/** A real pino logger writing JSON lines into memory, for asserting on log lines. */
export function captureLog(level = "info"): CapturedLog {
  const lines: CapturedLog["lines"] = [];
  const log = pino({ level }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { log, lines };
}
