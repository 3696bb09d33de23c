import pg from "pg";

export type Queryable = Pick<pg.Pool, "query"> | pg.PoolClient;

/** Run `fn` in a transaction on one pooled connection; roll back on any error. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await fn(client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** A pool whose connections fail fast instead of queueing forever when the store is down. */
export function createStorePool(connectionString: string): pg.Pool {
  const pool = new pg.Pool({ connectionString, max: 10, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000, statement_timeout: 15_000 });
  // An idle client losing its server must not crash the process; the next query reconnects.
  pool.on("error", () => undefined);
  return pool;
}
