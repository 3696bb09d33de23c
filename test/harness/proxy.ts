import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "../../common/log.js";
import { startProxy, type RunningProxy, type StartProxyOptions } from "../../proxy/index.js";
import type { ProxyConfigInput } from "../../proxy/index.js";
import { tempDir } from "./tempdir.js";

export interface RouteFileEndpoint {
  address?: string;
  pooled_address?: string;
  cu?: number;
  managed?: boolean;
  roles: Record<string, string>;
  [k: string]: unknown;
}

export interface TestProxy extends RunningProxy {
  readonly stateDir: string;
  readonly routesFile: string;
  readonly caFile: string;
  /** Host name for an endpoint under the default local domain. */
  host(endpointId: string): string;
  writeRoutes(endpoints: Record<string, RouteFileEndpoint>): void;
  stop(): Promise<void>;
}

export const LOCAL_DOMAIN = "local.orochi.localhost";

/** A proxy in this process on free ports, with its own state dir and route file. */
export async function startTestProxy(
  endpoints: Record<string, RouteFileEndpoint>,
  config: Partial<ProxyConfigInput> = {},
  extra: Pick<StartProxyOptions, "scheduler" | "routeSource"> = {},
): Promise<TestProxy> {
  const dir = tempDir("orochi-proxy-");
  const routesFile = join(dir.path, "routes.json");
  const writeRoutes = (e: Record<string, RouteFileEndpoint>) => writeFileSync(routesFile, JSON.stringify({ endpoints: e }, null, 2));
  writeRoutes(endpoints);
  const proxy = await startProxy({
    ...extra,
    routesFile,
    stateDir: dir.path,
    log: createLogger("proxy-test"),
    config: { port: 0, httpPort: 0, ...config },
  });
  return Object.assign(Object.create(null) as object, proxy, {
    stateDir: dir.path,
    routesFile,
    caFile: proxy.caFile ?? join(dir.path, "tls", "ca.crt"),
    host: (endpointId: string) => `${endpointId}.${LOCAL_DOMAIN}`,
    writeRoutes,
    reload: () => proxy.reload(),
    drain: (t?: number) => proxy.drain(t),
    close: () => proxy.close(),
    async stop() {
      await proxy.close();
      dir.remove();
    },
  }) as TestProxy;
}
