// Imported first by tests that run the scheduler or proxy in-process: their loggers read the
// level when common/log.ts is first evaluated, so it must be set before any other import.
process.env.OROCHI_LOG_LEVEL ??= "warn";
