import { InvalidArgumentError } from "commander";

/** commander parsers shared by every subcommand. */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value) ?? /^()()(\d{1,5})$/.exec(value);
  if (!m) throw new InvalidArgumentError("expected HOST:PORT or PORT");
  const port = Number(m[3]);
  if (port > 65535) throw new InvalidArgumentError("port must be at most 65535");
  return { host: m[1] || m[2] || "127.0.0.1", port };
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("expected a positive integer");
  return n;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A repeat within this long is the same Ctrl-C reaching us twice (terminal group + a wrapper). */
const DUPLICATE_SIGNAL_MS = 2_000;

/** Run the handler once on SIGTERM/SIGINT; a later second signal exits at once. */
export function onShutdownSignals(handlers: { SIGTERM: () => Promise<void>; SIGINT: () => Promise<void> }): void {
  let stoppingSince = 0;
  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    process.on(sig, () => {
      if (stoppingSince) {
        if (Date.now() - stoppingSince > DUPLICATE_SIGNAL_MS) process.exit(1);
        return;
      }
      stoppingSince = Date.now();
      handlers[sig]().then(
        () => process.exit(0),
        (err: unknown) => {
          process.stderr.write(`shutdown failed: ${(err as Error).message}\n`);
          process.exit(1);
        },
      );
    });
  }
}
