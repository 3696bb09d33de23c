import { chownSync, readFileSync } from "node:fs";

export interface ServerUser {
  uid: number;
  gid: number;
  name: string;
}

let cached: ServerUser | null | undefined;

/**
 * PostgreSQL refuses to run as root. When we are root, server processes run as an unprivileged
 * account (OROCHI_PG_USER, default "postgres"); otherwise as ourselves (null).
 */
export function serverUser(): ServerUser | null {
  if (cached !== undefined) return cached;
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return (cached = null);
  const name = process.env.OROCHI_PG_USER ?? "postgres";
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith(name + ":"));
  if (!line) throw new Error(`running as root and user "${name}" does not exist: create it or set OROCHI_PG_USER`);
  const [, , uid, gid] = line.split(":");
  return (cached = { name, uid: Number(uid), gid: Number(gid) });
}

/** Spawn options that drop to the server user when needed. */
export function serverSpawnIds(): { uid?: number; gid?: number } {
  const u = serverUser();
  return u ? { uid: u.uid, gid: u.gid } : {};
}

/** Give a directory or file to the server user (no-op when not root). */
export function chownToServerUser(path: string): void {
  const u = serverUser();
  if (u) chownSync(path, u.uid, u.gid);
}
