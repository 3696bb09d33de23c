import { connect } from "node:net";
import { serialize } from "pg-protocol";
import type { CancelTarget } from "../../router/index.js";

/** How long a cancel may take to reach the compute before we give up (never blocks a client). */
export const CANCEL_FORWARD_TIMEOUT_MS = 5_000;

/**
 * DESIGN.md step 8: send a CancelRequest with the compute's own key to the compute (or pooler)
 * the session uses, then close. The requester never gets a reply either way.
 */
export function forwardCancel(target: CancelTarget, timeoutMs = CANCEL_FORWARD_TIMEOUT_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.address.host, port: target.address.port });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error("cancel forward timed out")));
    socket.once("error", reject);
    socket.once("connect", () => socket.end(serialize.cancel(target.processId, target.secretKey)));
    // The server closes after reading the request; resolve when it does.
    socket.once("close", (hadError) => {
      if (!hadError) resolve();
    });
    socket.resume();
  });
}
