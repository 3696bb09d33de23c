export { pgBin, pgBinDir, pgMajorVersion } from "./binaries.js";
export { serverUser, serverSpawnIds, chownToServerUser } from "./server-user.js";
export { ensureTemplate, copyTemplate, HBA_CONF } from "./template.js";
export { startPostgres, stopPostgres, isReady, readPidFile, processAlive } from "./instance.js";
export type { StartPostgresOptions, PostgresProcess, ShutdownMode } from "./instance.js";
export { startEphemeralPostgres, ephemeralTemplate, type EphemeralPostgres, type EphemeralPostgresOptions } from "./ephemeral.js";
