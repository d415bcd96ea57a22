/**
 * The OpenTelemetry Node SDK for the CLI and the worker, configured only by the standard `OTEL_*` environment
 * variables (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_PROTOCOL` — `http/protobuf`, `http/json` or
 * `grpc` —, `OTEL_SERVICE_NAME`, `OTEL_TRACES_EXPORTER`, `OTEL_METRICS_EXPORTER`, `OTEL_RESOURCE_ATTRIBUTES`...).
 * Started only when one of them asks for export; the SDK is loaded lazily, so a plain run costs nothing.
 * `shutdown()` flushes spans and metrics before the process exits.
 *
 * @packageDocumentation
 */

/** Variables that switch export on. */
const TRIGGERS = [
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
  'OTEL_TRACES_EXPORTER',
  'OTEL_METRICS_EXPORTER',
] as const;

/** A started SDK. */
export interface StartedTelemetry {
  /** Flushes and stops; safe to call twice. */
  shutdown(): Promise<void>;
}

/** Whether the environment asks for telemetry export. */
export function telemetryRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true') return false;
  return TRIGGERS.some((k) => (env[k] ?? '').trim() !== '' && env[k] !== 'none');
}

/**
 * Starts the Node SDK from the environment when {@link telemetryRequested}; otherwise does nothing.
 * Metrics are exported on `OTEL_METRIC_EXPORT_INTERVAL` (default here 5 s, so short CLI runs still export).
 */
export async function startTelemetryFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<StartedTelemetry | undefined> {
  if (!telemetryRequested(env)) return undefined;
  env.OTEL_SERVICE_NAME ??= 'speedlayer';
  env.OTEL_METRIC_EXPORT_INTERVAL ??= '5000';
  // traces and metrics by default; the SDK's own default for logs is off here (the CLI logs to stderr)
  env.OTEL_LOGS_EXPORTER ??= 'none';
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK({});
  sdk.start();
  let stopping: Promise<void> | undefined;
  return {
    shutdown() {
      stopping ??= sdk.shutdown().catch((e: unknown) => {
        process.stderr.write(`speedlayer: telemetry export failed at shutdown: ${(e as Error)?.message ?? e}\n`);
      });
      return stopping;
    },
  };
}
