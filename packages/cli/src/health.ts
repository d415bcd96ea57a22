/**
 * The worker's health and metrics endpoints: `/healthz` (the process answers), `/readyz` (subscribed to its group
 * and consuming: the worker's readiness), `/metrics` (Prometheus text). Served when `--health-port` or
 * `SPEEDLAYER_HEALTH_PORT` is set, and by default on 9464 inside Kubernetes, where the emitted manifests probe it.
 *
 * `/metrics` serves, in the Prometheus text format with their TYPE lines:
 * - the OpenTelemetry metrics `@speedlayer/core` records (sent/consumed/failed counters, send and handler duration
 *   histograms, handlers in flight, consumer lag in messages and seconds per partition, read from the target on
 *   each scrape with a 5 s bound), through the OpenTelemetry Prometheus exporter: names with dots as underscores,
 *   counters ending in `_total`. This needs the health server's own meter provider, so it holds unless the
 *   `OTEL_*` variables already started an SDK that exports metrics by OTLP (then set `OTEL_METRICS_EXPORTER=none`
 *   to have them here; traces still go by OTLP);
 * - the worker's subscription counters (`speedlayer_worker_messages_{handled,failures,dead_lettered,commits}_total`)
 *   and its assigned partitions (`speedlayer_worker_assigned_partitions`), with `topic` and `group` labels;
 * - Node.js process metrics (prom-client defaults).
 *
 * @packageDocumentation
 */
import { createServer, type Server } from 'node:http';
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { metrics as sdkMetrics } from '@opentelemetry/sdk-node';
import type { Logger, Subscription } from '@speedlayer/core';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** Port the Kubernetes manifests probe (the OpenTelemetry Prometheus exporter's default). */
export const DEFAULT_HEALTH_PORT = 9464;

/**
 * Bucket boundaries (seconds) of the duration histograms on `/metrics`: the OpenTelemetry semantic conventions'
 * advice for durations in seconds (the SDK's default boundaries, 0-10000, are meant for milliseconds).
 */
export const DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** Picks the health port: the option, the environment, 9464 inside Kubernetes, or none. */
export function healthPort(option: number | undefined, env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (option !== undefined) return option;
  if (env.SPEEDLAYER_HEALTH_PORT) return Number(env.SPEEDLAYER_HEALTH_PORT);
  return env.KUBERNETES_SERVICE_HOST ? DEFAULT_HEALTH_PORT : undefined;
}

/** A running health server. */
export interface HealthServer {
  /** Marks the worker subscribed and exposes its subscription's counters. */
  ready(subscription: Subscription): void;
  /** The worker's readiness (runWorker's `onReadiness`): a consumer that cannot consume turns `/readyz` to 503. */
  readiness(ready: boolean, reason?: string): void;
  /** Marks the worker as draining (readiness fails) and stops the server. */
  close(): Promise<void>;
  /** The port it listens on. */
  port: number;
}

/**
 * Registers a meter provider whose reader serves `/metrics`, unless one is registered already (an SDK started from
 * the `OTEL_*` variables). Must run before the worker connects, so the client's telemetry and lag gauges use it.
 */
function otelMetrics(logger: Logger | undefined): { text(): Promise<string>; shutdown(): Promise<void> } | undefined {
  const existing = metrics.getMeterProvider() as object;
  if (!/^Noop/.test(existing.constructor.name)) {
    logger?.info('OpenTelemetry metrics are exported by the OTEL_* SDK; /metrics serves the worker counters only', {
      hint: 'OTEL_METRICS_EXPORTER=none keeps traces on OTLP and serves every metric on /metrics',
    });
    return undefined;
  }
  const reader = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true, withoutTargetInfo: true });
  const buckets = {
    type: sdkMetrics.AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
    options: { boundaries: DURATION_BUCKETS_SECONDS },
  } as const;
  const provider = new sdkMetrics.MeterProvider({
    readers: [reader],
    views: [
      { instrumentName: 'messaging.process.duration', aggregation: buckets },
      { instrumentName: 'messaging.client.operation.duration', aggregation: buckets },
    ],
  });
  if (!metrics.setGlobalMeterProvider(provider)) return undefined;
  const serializer = new PrometheusSerializer('', false, undefined, true, true);
  return {
    async text() {
      const { resourceMetrics } = await reader.collect();
      return serializer.serialize(resourceMetrics);
    },
    async shutdown() {
      metrics.disable();
      await provider.shutdown();
    },
  };
}

/** Starts the health server on `port` (0 picks a free one). */
export async function startHealthServer(
  port: number,
  labels: { topic: string; group: string },
  logger?: Logger,
): Promise<HealthServer> {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry });
  let subscription: Subscription | undefined;
  let draining = false;
  let consuming = true;
  let notReadyReason: string | undefined;
  const counters = ['handled', 'failures', 'deadLettered', 'commits'] as const;
  for (const name of counters) {
    // a counter read from the subscription's running total at each scrape
    let last = 0;
    new Counter({
      name: `speedlayer_worker_messages_${name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}_total`,
      help: `Subscription counter "${name}" of this worker since it started`,
      registers: [registry],
      collect() {
        const now = subscription ? subscription.stats()[name] : 0;
        if (now > last) this.inc(now - last);
        last = Math.max(last, now);
      },
    });
  }
  new Gauge({
    name: 'speedlayer_worker_assigned_partitions',
    help: 'Partitions this worker owns now',
    registers: [registry],
    collect() {
      this.set(subscription ? subscription.assignments().length : 0);
    },
  });
  const otel = otelMetrics(logger);
  const metricsText = async () => {
    const own = await registry.metrics();
    return otel ? `${own}\n${await otel.text()}\n` : own;
  };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const ok = subscription !== undefined && !draining && consuming;
      const why = draining ? 'draining' : subscription === undefined ? 'not subscribed yet' : (notReadyReason ?? '');
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ready\n' : `not ready${why ? `: ${why}` : ''}\n`);
    } else if (path === '/metrics') {
      metricsText().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  const address = server.address();
  let closing: Promise<void> | undefined;
  return {
    port: typeof address === 'object' && address ? address.port : port,
    ready(s) {
      subscription = s;
    },
    readiness(ready, reason) {
      consuming = ready;
      notReadyReason = ready ? undefined : reason;
    },
    close() {
      draining = true;
      closing ??= new Promise<void>((resolve) => server.close(() => resolve())).then(() => otel?.shutdown());
      return closing;
    },
  };
}
