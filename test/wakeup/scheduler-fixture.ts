import { readdirSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { pino } from "pino";
import { readPidFile } from "../../common/postgres/index.js";
import { formatScramSecret, scramSecretFor } from "../../common/scram/index.js";
import { stopPostmaster } from "../../wakeup/backend/local/postmaster.js";
import {
  createSchedulerClient,
  startScheduler,
  type ProvisionRequest,
  type RunningScheduler,
  type SchedulerClient,
  type SchedulerClientOptions,
  type SchedulerConfigInput,
} from "../../wakeup/index.js";
import { templateDir } from "../harness/postgres.js";
import { tempDir } from "../harness/tempdir.js";

export const TEST_TOKEN = "test-scheduler-token";
export const testLogger = pino({ level: process.env.OROCHI_TEST_LOG_LEVEL ?? "silent" });

/** Throwaway computes: durability buys nothing in a test and costs start/stop time. */
const TEST_COMPUTE_SETTINGS = { fsync: "off", synchronous_commit: "off", full_page_writes: "off" };

export interface SchedulerFixture {
  readonly stateDir: string;
  readonly scheduler: RunningScheduler;
  /** A client with the right token (and quick retries, so failures show fast). */
  readonly client: SchedulerClient;
  newClient(options?: Partial<SchedulerClientOptions>): SchedulerClient;
  /** Close the scheduler (computes keep running) and start a new one on the same state dir and port. */
  restart(overrides?: Partial<SchedulerConfigInput>): Promise<void>;
  /** Close everything and stop every compute this fixture's state directory holds. */
  dispose(): Promise<void>;
}

export async function startSchedulerFixture(overrides: Partial<SchedulerConfigInput> = {}): Promise<SchedulerFixture> {
  const dir = tempDir("orochi-scheduler-");
  const base: SchedulerConfigInput = {
    listen: "127.0.0.1:0",
    stateDir: dir.path,
    token: TEST_TOKEN,
    http: false,
    templateDir: await templateDir(),
    computeSettings: TEST_COMPUTE_SETTINGS,
    idleCheckIntervalMs: 100,
    logger: testLogger,
    ...overrides,
  };
  const clients: SchedulerClient[] = [];
  let scheduler = await startScheduler(base);
  const newClient = (options: Partial<SchedulerClientOptions> = {}) => {
    const client = createSchedulerClient({ address: scheduler.address, token: TEST_TOKEN, ...options });
    clients.push(client);
    return client;
  };
  const client = newClient();
  return {
    stateDir: dir.path,
    get scheduler() {
      return scheduler;
    },
    client,
    newClient,
    async restart(more = {}) {
      await scheduler.close();
      scheduler = await startScheduler({ ...base, listen: `127.0.0.1:${scheduler.port}`, ...more });
    },
    async dispose() {
      for (const c of clients) c.close();
      await scheduler.close({ suspendComputes: true }).catch(() => undefined);
      await stopComputesUnder(dir.path);
      dir.remove();
    },
  };
}

/** Safety net: stop any postmaster still running in a data directory under `stateDir`. */
async function stopComputesUnder(stateDir: string): Promise<void> {
  const computesDir = join(stateDir, "computes");
  let names: string[];
  try {
    names = readdirSync(computesDir);
  } catch {
    return; // nothing was provisioned
  }
  await Promise.all(
    names.map(async (name) => {
      const dataDir = join(computesDir, name, "data");
      const pid = Number(readPidFile(dataDir)?.[0]);
      if (pid > 0) await stopPostmaster(pid, dataDir, 5_000);
    }),
  );
}

let endpointCounter = 0;
/** A fresh valid endpoint id, unique within the test process. */
export function endpointId(label = "t"): string {
  endpointCounter += 1;
  return `ep-${label}-${process.pid}-${endpointCounter}`;
}

/** The pg_authid form of `password`, as the control plane would send it. */
export async function secretFor(password: string): Promise<string> {
  return formatScramSecret(await scramSecretFor(password));
}

export async function provisionRequest(id: string, password: string, overrides: Partial<ProvisionRequest> = {}): Promise<ProvisionRequest> {
  return { endpointId: id, cu: 0.25, database: "app", role: "app_user", scramSecret: await secretFor(password), ...overrides };
}

/** Connect by SCRAM over TCP as the tenant role and say who we are ("role@database"). */
export async function queryAs(host: string, port: number, user: string, password: string, database = "app"): Promise<string> {
  return querySingle(host, port, user, password, database, "SELECT current_user || '@' || current_database()");
}

/** Connect by SCRAM over TCP and return the single value `sql` yields. */
export async function querySingle(host: string, port: number, user: string, password: string, database: string, sql: string): Promise<string> {
  const client = new pg.Client({ host, port, user, password, database });
  await client.connect();
  try {
    const r = await client.query({ text: sql, rowMode: "array" });
    return String((r.rows[0] as unknown[])[0]);
  } finally {
    await client.end();
  }
}
