import { createSchedulerClient, startScheduler, type RunningScheduler } from "../../wakeup/index.js";
import { schedulerPortFromClient, type SchedulerPort } from "../../controlplane/index.js";
import { tempDir } from "../harness/tempdir.js";

/** The real scheduler (wakeup/) with throwaway computes, and a control-plane port to it. */
export interface TestScheduler {
  readonly server: RunningScheduler;
  readonly port: SchedulerPort;
  close(): Promise<void>;
}

export async function startTestScheduler(): Promise<TestScheduler> {
  const dir = tempDir("orochi-sched-");
  // A random slice of ports per test file, so parallel files do not hand out the same ones.
  const min = 20_000 + Math.floor(Math.random() * 400) * 100;
  const server = await startScheduler({
    listen: "127.0.0.1:0",
    stateDir: dir.path,
    http: false,
    computePortRange: { min, max: min + 99 },
    computeSettings: { fsync: "off", synchronous_commit: "off", full_page_writes: "off" },
  });
  const port = schedulerPortFromClient(createSchedulerClient({ address: server.address }));
  return {
    server,
    port,
    async close() {
      await port.close();
      await server.close({ suspendComputes: true });
      dir.remove();
    },
  };
}
