import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { UsageBatch } from "../../controlplane/usage-api.js";

/** What the fake answers to the next request: a status (and body), or a dropped connection. */
export type ScriptStep = { status: number; body?: unknown } | "reset";

export interface ScriptedIngest {
  readonly url: string;
  /** Every batch received (whatever the answer was). */
  readonly batches: UsageBatch[];
  readonly authorizations: string[];
  /** Steps still to play; once empty every request is acknowledged with 200. */
  readonly script: ScriptStep[];
  close(): Promise<void>;
}

/**
 * A scripted stand-in for the control plane's usage endpoint, for unit tests of delivery
 * (retries, backoff, refusals). It plays `script` in order, then acknowledges everything,
 * counting ids it has seen before as duplicates like the real one. Integration tests use the
 * real control plane.
 */
export async function startScriptedIngest(script: ScriptStep[] = []): Promise<ScriptedIngest> {
  const batches: UsageBatch[] = [];
  const authorizations: string[] = [];
  const seen = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const batch = JSON.parse(Buffer.concat(chunks).toString()) as UsageBatch;
      batches.push(batch);
      authorizations.push(req.headers.authorization ?? "");
      const step = script.shift();
      if (step === "reset") {
        req.socket.destroy();
        return;
      }
      if (step) {
        res.writeHead(step.status, { "content-type": "application/json" }).end(JSON.stringify(step.body ?? { error: { code: "x", message: `scripted ${step.status}` } }));
        return;
      }
      let accepted = 0;
      for (const r of batch.records) {
        if (seen.has(r.id)) continue;
        seen.add(r.id);
        accepted++;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ accepted, duplicates: batch.records.length - accepted }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    batches,
    authorizations,
    script,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
