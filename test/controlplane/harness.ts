import { readFileSync } from "node:fs";
import { pino } from "pino";
import { startControlPlane, type ControlPlane, type ControlPlaneConfigInput } from "../../controlplane/index.js";
import { startTestPostgres, type TestPostgres } from "../harness/postgres.js";
import { tempDir } from "../harness/tempdir.js";

export const silentLogger = pino({ level: process.env.OROCHI_TEST_LOG_LEVEL ?? "silent" });

/** A Postgres for control plane stores: one database per control plane, created on demand. */
export interface TestStore {
  readonly pg: TestPostgres;
  newDatabaseUrl(): Promise<string>;
  stop(): Promise<void>;
}

let databaseCounter = 0;

export async function startTestStore(): Promise<TestStore> {
  const pg = await startTestPostgres();
  return {
    pg,
    async newDatabaseUrl() {
      const name = `cp_${process.pid}_${++databaseCounter}`;
      await pg.sql(`CREATE DATABASE ${name}`);
      return `postgresql://postgres@/${name}?host=${encodeURIComponent(pg.socketDir)}&port=${pg.port}`;
    },
    stop: () => pg.stop(),
  };
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
}

/** A tiny HTTP client for the API; `raw` sends a body as is (malformed JSON tests). */
export class Api {
  constructor(
    readonly url: string,
    readonly key: string | null,
  ) {}

  as(key: string | null): Api {
    return new Api(this.url, key);
  }

  async request(method: string, path: string, opts: { body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...opts.headers };
    if (this.key) headers.authorization = `Bearer ${this.key}`;
    let body: string | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined) headers["content-type"] ??= "application/json";
    const res = await fetch(this.url + path, { method, headers, body });
    const text = await res.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, body: json };
  }

  get = (path: string) => this.request("GET", path);
  post = (path: string, body?: unknown, headers?: Record<string, string>) => this.request("POST", path, { body, headers });
  patch = (path: string, body?: unknown) => this.request("PATCH", path, { body });
  delete = (path: string) => this.request("DELETE", path);
}

export interface TestControlPlane {
  cp: ControlPlane;
  stateDir: string;
  adminKey: string;
  /** Admin API client of the local (operator) organisation. */
  api: Api;
  close(): Promise<void>;
}

/** A local-mode control plane on a free port with its own store database and state directory. */
export async function startTestControlPlane(store: TestStore, config: ControlPlaneConfigInput = {}): Promise<TestControlPlane> {
  const state = config.stateDir ? null : tempDir("orochi-cp-");
  const stateDir = config.stateDir ?? state!.path;
  const cp = await startControlPlane({
    port: 0,
    stateDir,
    databaseUrl: config.databaseUrl ?? (await store.newDatabaseUrl()),
    logger: silentLogger,
    ...config,
  });
  const adminKey = readFileSync(cp.adminKeyFile!, "utf8").trim();
  return {
    cp,
    stateDir,
    adminKey,
    api: new Api(cp.url, adminKey),
    async close() {
      await cp.close();
      state?.remove();
    },
  };
}
