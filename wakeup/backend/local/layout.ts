import { join } from "node:path";

/**
 * Files of one local compute, all under `<computesDir>/<endpointId>/` (the endpoint id is
 * validated before it gets here: `ep-` + [a-z0-9-], so it is a safe path component).
 */
export interface ComputePaths {
  /** Owned by the server user, mode 0700; deleting it deletes the compute. */
  readonly root: string;
  readonly dataDir: string;
  /** Private Unix socket directory: the scheduler administers the compute through it (trust). */
  readonly socketDir: string;
  readonly logFile: string;
}

export function computePaths(computesDir: string, endpointId: string): ComputePaths {
  const root = join(computesDir, endpointId);
  return { root, dataDir: join(root, "data"), socketDir: join(root, "run"), logFile: join(root, "postgres.log") };
}
