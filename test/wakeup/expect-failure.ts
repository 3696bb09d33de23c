import { expect } from "vitest";
import { SchedulerClientError } from "../../wakeup/index.js";

/** The SchedulerClientError a call rejects with (fails the test when it resolves). */
export async function failure(call: Promise<unknown>): Promise<SchedulerClientError> {
  const err = await call.then(
    () => new Error("expected the call to fail"),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SchedulerClientError);
  return err as SchedulerClientError;
}
