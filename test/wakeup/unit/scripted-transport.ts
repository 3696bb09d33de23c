import { Metadata, status } from "@grpc/grpc-js";
import { expect } from "vitest";
import type { UnaryTransport } from "../../../wakeup/client/grpc-transport.js";
import type { SchedulerMethod } from "../../../wakeup/proto/messages.js";
import { REASON_METADATA_KEY, type SchedulerReason } from "../../../wakeup/status-reasons.js";

/** What the fake scheduler does for one expected call. */
export type Step =
  | { method: SchedulerMethod; answer: unknown }
  | { method: SchedulerMethod; fail: status; reason?: SchedulerReason }
  | { method: SchedulerMethod; hold: Promise<unknown> };

/**
 * A scripted stand-in for the scheduler: every call must be the next step of the script, and
 * verify() checks that the whole script was played.
 */
export class ScriptedTransport implements UnaryTransport {
  readonly calls: { method: SchedulerMethod; request: unknown; deadlineAt: number }[] = [];
  private readonly script: Step[];

  constructor(script: Step[]) {
    this.script = [...script];
  }

  call<M extends SchedulerMethod>(method: M, request: unknown, options: { deadlineAt: number }): Promise<never> {
    this.calls.push({ method, request, deadlineAt: options.deadlineAt });
    const step = this.script.shift();
    if (!step) throw new Error(`unexpected ${method} call: the script is finished`);
    expect(method).toBe(step.method);
    if ("answer" in step) return Promise.resolve(step.answer as never);
    if ("hold" in step) return step.hold as Promise<never>;
    return Promise.reject(grpcError(step.fail, step.reason));
  }

  close(): void {}

  verify(): void {
    expect(this.script, "steps left in the script").toEqual([]);
  }
}

export function grpcError(code: status, reason?: SchedulerReason): Error {
  const metadata = new Metadata();
  if (reason) metadata.set(REASON_METADATA_KEY, reason);
  return Object.assign(new Error(`${status[code]}`), { code, details: `scripted ${status[code]}`, metadata });
}

/** A clock that moves only when the code under test sleeps. */
export function fakeEnvironment(random = () => 1) {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    advance: (ms: number) => void (now += ms),
    environment: {
      now: () => now,
      random,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
    },
  };
}
