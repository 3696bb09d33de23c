import { status } from "@grpc/grpc-js";
import type {
  Compute,
  ProvisionRequest,
  ProvisionResponse,
  ReportActivityRequest,
  SchedulerMethod,
  SchedulerMethods,
  WakeResponse,
} from "../proto/messages.js";
import { SingleFlight } from "../../common/single-flight.js";
import { CircuitBreaker, type BreakerState } from "./circuit-breaker.js";
import { circuitOpenError, classifyCallError, SchedulerClientError } from "./errors.js";
import { createGrpcTransport, type UnaryTransport } from "./grpc-transport.js";
import type { WakeRequestResult } from "./hooks.js";
import { resolveClientOptions, type SchedulerClientOptions } from "./options.js";
import { REAL_ENVIRONMENT, withRetry, type RetryEnvironment } from "./retry.js";
import { waitWithin } from "../../common/wait-within.js";

export interface CallOptions {
  /** This call's deadline in ms (all attempts); default per method, see DEFAULT_DEADLINES_MS. */
  readonly deadlineMs?: number;
  /** Give up early (e.g. the client connection went away). */
  readonly signal?: AbortSignal;
}

export type ActivityReport = Pick<ReportActivityRequest, "proxyId" | "endpoints"> & Partial<Pick<ReportActivityRequest, "fullSnapshot" | "ttlSeconds">>;

/** Typed access to one scheduler, with deadlines, retries, a circuit breaker and wake coalescing. */
export interface SchedulerClient {
  readonly address: string;
  provision(request: ProvisionRequest, options?: CallOptions): Promise<ProvisionResponse>;
  /** True when the endpoint existed. */
  deprovision(endpointId: string, options?: CallOptions): Promise<boolean>;
  /** Resolve once the compute accepts connections. Concurrent calls for one endpoint share one RPC. */
  wake(endpointId: string, options?: CallOptions): Promise<WakeResponse>;
  /** True when a running compute was shut down. */
  suspend(endpointId: string, options?: CallOptions): Promise<boolean>;
  /** One compute, or all when `endpointId` is omitted. */
  describe(endpointId?: string, options?: CallOptions): Promise<Compute[]>;
  reportActivity(report: ActivityReport, options?: CallOptions): Promise<void>;
  readonly breakerState: BreakerState;
  close(): void;
}

export function createSchedulerClient(options: SchedulerClientOptions): SchedulerClient {
  const resolved = resolveClientOptions(options);
  const env: RetryEnvironment = { ...REAL_ENVIRONMENT, ...options.environment };
  const transport: UnaryTransport = options.transport ?? createGrpcTransport(options);
  const breaker = new CircuitBreaker(resolved.breaker, env.now);
  const wakes = new SingleFlight<string, WakeResponse>();
  const address = options.address;

  async function invoke<M extends SchedulerMethod>(method: M, request: SchedulerMethods[M]["request"], call: CallOptions = {}): Promise<SchedulerMethods[M]["response"]> {
    const deadlineAt = env.now() + (call.deadlineMs ?? resolved.deadlinesMs[method]);
    const attempt = async () => {
      if (!breaker.tryAcquire()) throw circuitOpenError(address, breaker.retryAfterMs(), method);
      try {
        const response = await transport.call(method, request, { deadlineAt, signal: call.signal });
        breaker.recordAnswer();
        return response;
      } catch (raw) {
        const err = classifyCallError(raw, method, address);
        if (err.code === "CANCELLED") breaker.recordAbandoned();
        else if (err.schedulerFault) breaker.recordFailure();
        else breaker.recordAnswer();
        throw err;
      }
    };
    return withRetry(attempt, resolved.retry, deadlineAt, env, call.signal);
  }

  async function wake(endpointId: string, call: CallOptions = {}): Promise<WakeResponse> {
    const began = env.now();
    // The shared RPC runs with the first caller's deadline and no signal (others may still want
    // it); each caller waits on it within its own deadline and signal.
    const flight = wakes.run(endpointId, () => invoke("Wake", { endpointId }, { deadlineMs: call.deadlineMs }));
    const report = (result: WakeRequestResult, coldStart: boolean) =>
      options.hooks?.onWake?.({ endpointId, result, durationSeconds: (env.now() - began) / 1000, coldStart, coalesced: flight.joined });
    try {
      const waitMs = call.deadlineMs ?? resolved.deadlinesMs.Wake;
      const response = await waitWithin(flight.promise, waitMs, call.signal, {
        timeout: () => new SchedulerClientError("SCHEDULER_TIMEOUT", status.DEADLINE_EXCEEDED, `wake of ${endpointId} did not finish within ${waitMs} ms`, "Wake"),
        abandoned: () => new SchedulerClientError("CANCELLED", status.CANCELLED, `wake of ${endpointId} abandoned by the caller`, "Wake"),
      });
      report(response.coldStart ? "cold_start" : "warm", response.coldStart);
      return response;
    } catch (err) {
      const error = err instanceof SchedulerClientError ? err : classifyCallError(err, "Wake", address);
      report(error.code.toLowerCase() as WakeRequestResult, false);
      throw error;
    }
  }

  return {
    address,
    provision: (request, call) => invoke("Provision", request, call),
    deprovision: async (endpointId, call) => (await invoke("Deprovision", { endpointId }, call)).existed,
    wake,
    suspend: async (endpointId, call) => (await invoke("Suspend", { endpointId }, call)).wasRunning,
    describe: async (endpointId = "", call) => (await invoke("Describe", { endpointId }, call)).computes,
    reportActivity: async (report, call) => {
      await invoke("ReportActivity", { fullSnapshot: false, ttlSeconds: 0, ...report }, call);
    },
    get breakerState() {
      return breaker.state;
    },
    close: () => transport.close(),
  };
}
