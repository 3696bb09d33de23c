import { pino, type Logger } from "pino";

export type { Logger };

/**
 * One JSON logger per process, with a child per component. Level from OROCHI_LOG_LEVEL
 * (default "info"). Secrets are redacted by path in case a caller passes a whole object.
 */
const root: Logger = pino({
  level: process.env.OROCHI_LOG_LEVEL ?? "info",
  base: { pid: process.pid },
  timestamp: pino.stdTimeFunctions.isoTime,
  redact: {
    paths: ["password", "*.password", "secret", "*.secret", "token", "*.token", "authorization", "*.authorization"],
    censor: "[redacted]",
  },
});

export function createLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return root.child({ component, ...bindings });
}
