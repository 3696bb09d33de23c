import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";

export interface SpliceEnd {
  /** Which side ended first: client or compute (or an error on either). */
  readonly endedBy: "client" | "compute";
  readonly error: Error | null;
}

/**
 * DESIGN.md step 7–9: bytes both ways with backpressure (stream.pipe pauses the source when
 * the destination's buffer is full), half-close propagated (FIN on one side ends the other's
 * writable side), errors propagated (an error on one side destroys the other). No per-message
 * work: byte counts come from the compute socket's own counters.
 */
export function splice(client: Socket | TLSSocket, compute: Socket, onEnd: (end: SpliceEnd) => void): void {
  let first: SpliceEnd | null = null;
  let closed = 0;
  const note = (endedBy: "client" | "compute", error: Error | null) => {
    if (!first) first = { endedBy, error };
  };
  const onClosed = () => {
    if (++closed === 2) onEnd(first ?? { endedBy: "client", error: null });
  };

  client.on("error", (err) => {
    note("client", err);
    compute.destroy();
  });
  compute.on("error", (err) => {
    note("compute", err);
    client.destroy();
  });
  client.once("end", () => note("client", null));
  compute.once("end", () => note("compute", null));
  // A side that closes completely (not a half-close) takes the other down with it.
  client.once("close", () => {
    note("client", null);
    if (!compute.writableEnded) compute.end();
    onClosed();
  });
  compute.once("close", () => {
    note("compute", null);
    if (!client.writableEnded) client.end();
    // Give the client's TLS layer a moment to flush before tearing down.
    client.destroySoon?.();
    onClosed();
  });

  client.pipe(compute);
  compute.pipe(client);
  client.resume();
  compute.resume();
}
