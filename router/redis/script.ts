import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

type Arg = string | number;

/**
 * A Lua script run by its SHA1 (EVALSHA), loaded again when Redis answers NOSCRIPT (a restarted
 * Redis has forgotten every script). Runs atomically on the server: no other command sees the
 * keys half-changed.
 */
export class RedisScript {
  readonly sha: string;

  constructor(
    readonly name: string,
    readonly lua: string,
  ) {
    this.sha = createHash("sha1").update(lua).digest("hex");
  }

  async run(client: Redis, keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return client.eval(this.lua, keys.length, ...keys, ...args);
    }
  }

  /** Many calls in one round trip (a pipeline); throws when any call failed. */
  async runMany(client: Redis, calls: ReadonlyArray<{ keys: readonly string[]; args: readonly Arg[] }>): Promise<unknown[]> {
    if (calls.length === 0) return [];
    const once = async () => {
      const pipeline = client.pipeline();
      for (const c of calls) pipeline.evalsha(this.sha, c.keys.length, ...c.keys, ...c.args);
      return (await pipeline.exec()) ?? [];
    };
    let results = await once();
    if (results.some(([err]) => isNoScript(err))) {
      await client.script("LOAD", this.lua);
      results = await once();
    }
    const failed = results.find(([err]) => err);
    if (failed) throw failed[0]!;
    return results.map(([, value]) => value);
  }
}

function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith("NOSCRIPT");
}
