import { startEphemeralPostgres, type EphemeralPostgres, type EphemeralPostgresOptions } from "../../common/postgres/ephemeral.js";

/** A throwaway PostgreSQL server for a test (see common/postgres/ephemeral.ts). */
export type TestPostgres = EphemeralPostgres;
export type TestPostgresOptions = EphemeralPostgresOptions;
export { ephemeralTemplate as templateDir } from "../../common/postgres/ephemeral.js";

export function startTestPostgres(opts: TestPostgresOptions = {}): Promise<TestPostgres> {
  return startEphemeralPostgres(opts);
}
