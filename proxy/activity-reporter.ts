import type { Logger } from "../common/log.js";
import type { SchedulerClient } from "../wakeup/index.js";
import type { SessionRegistry } from "./session/session-registry.js";

/** Report soon after a change, but at most this often under churn. */
const REPORT_DEBOUNCE_MS = 200;
/** Re-send the full picture this often even without changes (reports expire). */
const REPORT_INTERVAL_MS = 10_000;
/** The scheduler forgets a report after this long: a crashed proxy's sessions do not pin computes. */
const REPORT_TTL_SECONDS = 30;

export interface ActivityReporter {
  /** Send now (tests, shutdown). */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Tells the scheduler how many sessions this proxy holds per endpoint (full snapshots with a
 * TTL), on change and periodically, so computes with sessions are never auto-suspended and idle
 * ones are. Failures are logged and retried by the next report; sessions never wait on it.
 */
export function startActivityReporter(opts: {
  scheduler: SchedulerClient;
  sessions: SessionRegistry;
  proxyId: string;
  log: Logger;
}): ActivityReporter {
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> = Promise.resolve();
  let lastError: string | null = null;
  let stopped = false;

  const send = (): Promise<void> => {
    const endpoints = [...opts.sessions.counts()].map(([endpointId, openSessions]) => ({ endpointId, openSessions }));
    inFlight = inFlight.then(() =>
      opts.scheduler.reportActivity({ proxyId: opts.proxyId, endpoints, fullSnapshot: true, ttlSeconds: REPORT_TTL_SECONDS }).then(
        () => {
          if (lastError) opts.log.info("activity reports reach the scheduler again");
          lastError = null;
        },
        (err: unknown) => {
          const message = (err as Error).message;
          if (message !== lastError) opts.log.warn({ err: message }, "activity report failed; will retry");
          lastError = message;
        },
      ),
    );
    return inFlight;
  };
  const schedule = () => {
    if (timer || stopped) return;
    timer = setTimeout(() => {
      timer = null;
      void send();
    }, REPORT_DEBOUNCE_MS);
    timer.unref();
  };
  opts.sessions.onChange(schedule);
  const periodic = setInterval(() => void send(), REPORT_INTERVAL_MS).unref();
  return {
    flush: send,
    async stop() {
      stopped = true;
      clearInterval(periodic);
      if (timer) clearTimeout(timer);
      await send();
    },
  };
}
