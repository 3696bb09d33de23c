import { credentials, makeGenericClientConstructor, Metadata, type ChannelOptions, type Client, type ServiceError } from "@grpc/grpc-js";
import { schedulerServiceDefinition } from "../proto/load-proto.js";
import type { SchedulerMethod, SchedulerMethods } from "../proto/messages.js";

/** One unary call to the scheduler; rejects with the raw gRPC error (classified by the client). */
export interface UnaryTransport {
  call<M extends SchedulerMethod>(
    method: M,
    request: SchedulerMethods[M]["request"],
    options: { deadlineAt: number; signal?: AbortSignal },
  ): Promise<SchedulerMethods[M]["response"]>;
  close(): void;
}

export interface GrpcTransportOptions {
  readonly address: string;
  readonly token?: string;
  /** TLS to the scheduler; `ca` verifies its certificate (system roots when absent). */
  readonly tls?: { readonly ca?: string | Buffer; readonly serverName?: string };
  readonly channelOptions?: ChannelOptions;
}

/**
 * grpc-js backs off reconnecting up to two minutes by default; a scheduler that restarts should
 * be found again within a second or two, and a dead one costs one refused connect per attempt.
 */
const DEFAULT_CHANNEL_OPTIONS: ChannelOptions = {
  "grpc.initial_reconnect_backoff_ms": 100,
  "grpc.max_reconnect_backoff_ms": 1_000,
};

type UnaryMethod = (request: unknown, metadata: Metadata, options: { deadline: Date }, callback: (err: ServiceError | null, response?: unknown) => void) => { cancel(): void };

export function createGrpcTransport(options: GrpcTransportOptions): UnaryTransport {
  const SchedulerClient = makeGenericClientConstructor(schedulerServiceDefinition(), "Scheduler");
  const channelCredentials = options.tls
    ? credentials.createSsl(options.tls.ca === undefined ? null : Buffer.from(options.tls.ca))
    : credentials.createInsecure();
  const channelOptions: ChannelOptions = { ...DEFAULT_CHANNEL_OPTIONS, ...options.channelOptions };
  if (options.tls?.serverName) channelOptions["grpc.ssl_target_name_override"] = options.tls.serverName;
  const client: Client = new SchedulerClient(options.address, channelCredentials, channelOptions);
  // Call credentials are refused on insecure channels, so the token goes in as plain metadata.
  const authorization = options.token === undefined ? undefined : `Bearer ${options.token}`;

  return {
    call(method, request, { deadlineAt, signal }) {
      return new Promise((resolve, reject) => {
        const metadata = new Metadata();
        if (authorization) metadata.set("authorization", authorization);
        const invoke = (client as unknown as Record<string, UnaryMethod>)[method]!.bind(client);
        const call = invoke(request, metadata, { deadline: new Date(deadlineAt) }, (err, response) => {
          signal?.removeEventListener("abort", cancel);
          if (err) reject(err);
          else resolve(response as SchedulerMethods[typeof method]["response"]);
        });
        function cancel() {
          call.cancel();
        }
        if (signal?.aborted) cancel();
        else signal?.addEventListener("abort", cancel, { once: true });
      });
    },
    close: () => client.close(),
  };
}
