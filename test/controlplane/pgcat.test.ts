import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { renderPgCat } from "../../controlplane/pooler/pgcat-config.js";
import type { PoolerEntry } from "../../controlplane/pooler/port.js";
import { referenceDir } from "../harness/reference.js";

const REFERENCE_DIR = referenceDir("pgcat");
const REFERENCES = ["pgcat.toml", "pgcat.minimal.toml", "examples-docker-pgcat.toml"];

/**
 * Key paths of a TOML document with the names users choose (pool names, user and shard
 * indices) replaced by "*": pools.*.users.*.username.
 */
function keyPaths(doc: unknown, prefix: string[] = [], out = new Set<string>()): Set<string> {
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    out.add(prefix.join("."));
    return out;
  }
  for (const [key, value] of Object.entries(doc)) {
    const parent = prefix[prefix.length - 1];
    const generic = parent === "pools" || parent === "users" || parent === "shards" || parent === "queries" ? "*" : key;
    keyPaths(value, [...prefix, generic], out);
  }
  return out;
}

const entry = (endpointId: string, port: number, password: string): PoolerEntry => ({
  endpointId,
  computeHost: "127.0.0.1",
  computePort: port,
  database: "app",
  role: "app",
  scramSecret: "SCRAM-SHA-256$4096:c2FsdA==$AAAA:BBBB",
  poolSize: 12,
  password,
});

describe("PgCat renderer", () => {
  const rendered = renderPgCat({
    listenHost: "127.0.0.1",
    listenPort: 6432,
    adminUser: "pgcat",
    adminPassword: 'adm"in\\pw',
    entries: [entry("ep-two-b", 41002, "pw-b"), entry("ep-one-a", 41001, "pw-a")],
  });

  it("produces TOML that parses, with one pool per endpoint (same role name in each)", () => {
    const doc = parse(rendered) as any; // eslint-disable-line @typescript-eslint/no-explicit-any -- parsed TOML
    expect(doc.general).toMatchObject({ host: "127.0.0.1", port: 6432, admin_username: "pgcat", admin_password: 'adm"in\\pw' });
    expect(Object.keys(doc.pools)).toEqual(["ep-one-a", "ep-two-b"]);
    expect(doc.pools["ep-one-a"]).toMatchObject({ pool_mode: "transaction", users: { "0": { username: "app", password: "pw-a", pool_size: 12 } } });
    expect(doc.pools["ep-two-b"].users["0"].password).toBe("pw-b");
    expect(doc.pools["ep-one-a"].shards["0"]).toEqual({ servers: [["127.0.0.1", 41001, "primary"]], database: "app" });
  });

  it("uses only keys that appear in PgCat's own reference configs", () => {
    const known = new Set<string>();
    for (const file of REFERENCES) keyPaths(parse(readFileSync(join(REFERENCE_DIR, file), "utf8")), [], known);
    const emitted = [...keyPaths(parse(rendered))];
    expect(emitted.length).toBeGreaterThan(10);
    expect(emitted.filter((k) => !known.has(k))).toEqual([]);
  });

  it("refuses an entry without the plaintext password PgCat needs", () => {
    const { password: _password, ...noPassword } = entry("ep-x-1", 1, "unused");
    expect(() => renderPgCat({ listenHost: "h", listenPort: 1, adminUser: "a", adminPassword: "b", entries: [noPassword] })).toThrow(/plaintext password/);
  });
});
