import { existsSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../common/paths.js";

/**
 * The workplace's shared reference data (e.g. PgCat's own example configs): `../shared/reference`
 * beside the checkout, or OROCHI_REFERENCE_DIR, or the workplace's fixed location when the
 * checkout lives elsewhere (a clone in /tmp).
 */
export function referenceDir(...parts: string[]): string {
  const candidates = [process.env.OROCHI_REFERENCE_DIR, join(packageRoot(), "..", "shared", "reference"), "/work/shared/reference"];
  for (const c of candidates) if (c && existsSync(join(c, ...parts))) return join(c, ...parts);
  throw new Error(`reference data ${parts.join("/")} not found (looked in ${candidates.filter(Boolean).join(", ")}); set OROCHI_REFERENCE_DIR`);
}
