import type { Socket } from "node:net";
import type { LiveSession } from "../../proxy/session/session-registry.js";

export type FakeSession = LiveSession & { counters: { bytesWritten: number; bytesRead: number } };

/** A session as the registry sees it, with a compute "socket" whose byte counters the test moves. */
export function fakeSession(id: string, startedAt: number, endpointId = "ep-a", cu = 1): FakeSession {
  const counters = { bytesWritten: 50, bytesRead: 70 };
  return {
    id,
    endpointId,
    role: "app",
    pooled: false,
    startedAt,
    cu,
    compute: counters as unknown as Socket,
    counters,
    countedIn: 0,
    countedOut: 0,
    loginBytesWritten: 50,
    loginBytesRead: 70,
    close: () => undefined,
  };
}
