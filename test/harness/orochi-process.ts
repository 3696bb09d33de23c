import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../common/paths.js";

/** The compiled CLI (npm test builds it first). */
export function orochiBin(): string {
  const bin = join(packageRoot(), "dist", "bin", "orochi.js");
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run "npm run build" first (npm test does)`);
  return bin;
}

export interface OrochiProcess {
  readonly child: ChildProcess;
  /** The JSON object the command printed with event "ready". */
  readonly ready: Record<string, unknown>;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Run `orochi <args>` and wait for its {"event":"ready"} line. */
export async function startOrochi(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<OrochiProcess> {
  const child = spawn(process.execPath, [orochiBin(), ...args], {
    env: { ...process.env, OROCHI_LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      for (const line of out.split("\n")) {
        if (!line.includes('"event":"ready"')) continue;
        clearTimeout(timer);
        resolve(JSON.parse(line) as Record<string, unknown>);
        return;
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ready:\n${out}`));
    });
  });
  return {
    child,
    ready,
    output: () => out,
    exited,
    async kill(signal: NodeJS.Signals = "SIGINT") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
