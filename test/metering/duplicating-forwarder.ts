import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface DuplicatingForwarder {
  readonly url: string;
  /** Requests received, and requests sent on (twice as many). */
  readonly received: number;
  readonly forwarded: number;
  close(): Promise<void>;
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * An HTTP hop that sends every request it receives to `target` twice, one after the other,
 * and answers with the second answer: the control plane sees every batch twice, as it would
 * when an acknowledgement is lost and the proxy re-sends.
 */
export async function startDuplicatingForwarder(target: string): Promise<DuplicatingForwarder> {
  let received = 0;
  let forwarded = 0;
  const server = createServer((req, res) => {
    received++;
    void (async () => {
      const body = await bodyOf(req);
      const headers: Record<string, string> = {};
      for (const name of ["authorization", "content-type"]) if (typeof req.headers[name] === "string") headers[name] = req.headers[name] as string;
      let last: Response | null = null;
      for (let i = 0; i < 2; i++) {
        last = await fetch(target + req.url, { method: req.method, headers, body: body.length ? body : undefined });
        forwarded++;
        if (i === 0) await last.arrayBuffer();
      }
      res.writeHead(last!.status, { "content-type": last!.headers.get("content-type") ?? "application/json" }).end(Buffer.from(await last!.arrayBuffer()));
    })().catch(() => res.writeHead(502).end());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get received() {
      return received;
    },
    get forwarded() {
      return forwarded;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
