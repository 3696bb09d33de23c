import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

let cachedRoot: string | undefined;

/**
 * The directory holding package.json. Non-TypeScript assets (scheduler.proto, SQL migrations)
 * are read relative to it, so the same code works from source (vitest) and from dist/.
 */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return (cachedRoot = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error("package.json not found above " + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** Local state directory: OROCHI_HOME, else `.orochi/` in the working directory (DESIGN.md contract). */
export function defaultStateDir(): string {
  return resolve(process.env.OROCHI_HOME ?? ".orochi");
}
