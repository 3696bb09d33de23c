import { createServer } from "node:net";
import { ComputeCapacityError } from "../compute-backend.js";

export interface PortRange {
  readonly min: number;
  readonly max: number;
}

/**
 * Default ports for local computes: below Linux's ephemeral range (32768–60999), so an outgoing
 * connection never borrows a suspended compute's port, and away from the stack's own defaults.
 */
export const DEFAULT_COMPUTE_PORT_RANGE: PortRange = { min: 20_000, max: 29_999 };

/**
 * A port in `range` that no other compute owns and that nothing listens on right now. The scan
 * starts at a random offset so several schedulers sharing a machine (tests) rarely collide.
 */
export async function allocatePort(host: string, range: PortRange, taken: ReadonlySet<number>, random = Math.random): Promise<number> {
  const size = range.max - range.min + 1;
  const offset = Math.floor(random() * size);
  for (let i = 0; i < size; i++) {
    const port = range.min + ((offset + i) % size);
    if (taken.has(port)) continue;
    if (await canListen(host, port)) return port;
  }
  throw new ComputeCapacityError(`no free port left in ${range.min}-${range.max} for another compute`);
}

function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}
