/**
 * The worker's health and metrics endpoints: `/healthz` (the process answers), `/readyz` (subscribed to its
 * group), `/metrics` (Prometheus text via prom-client). Served when `--health-port` or
 * `SPEEDLAYER_HEALTH_PORT` is set, and by default on 9464 inside Kubernetes, where the emitted manifests probe it.
 *
 * @packageDocumentation
 */
import { createServer, type Server } from 'node:http';
import type { Subscription } from '@speedlayer/core';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** Port the Kubernetes manifests probe (the OpenTelemetry Prometheus exporter's default). */
export const DEFAULT_HEALTH_PORT = 9464;

/** Picks the health port: the option, the environment, 9464 inside Kubernetes, or none. */
export function healthPort(option: number | undefined, env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (option !== undefined) return option;
  if (env.SPEEDLAYER_HEALTH_PORT) return Number(env.SPEEDLAYER_HEALTH_PORT);
  return env.KUBERNETES_SERVICE_HOST ? DEFAULT_HEALTH_PORT : undefined;
}

/** A running health server. */
export interface HealthServer {
  /** Marks the worker ready and exposes its subscription's counters. */
  ready(subscription: Subscription): void;
  /** Marks the worker as draining (readiness fails) and stops the server. */
  close(): Promise<void>;
  /** The port it listens on. */
  port: number;
}

/** Starts the health server on `port` (0 picks a free one). */
export async function startHealthServer(port: number, labels: { topic: string; group: string }): Promise<HealthServer> {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry });
  let subscription: Subscription | undefined;
  let draining = false;
  const counters = ['handled', 'failures', 'deadLettered', 'commits'] as const;
  for (const name of counters) {
    new Gauge({
      name: `speedlayer_worker_messages_${name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`,
      help: `Subscription counter "${name}" of this worker since it started`,
      registers: [registry],
      collect() {
        if (subscription) this.set(subscription.stats()[name]);
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
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const ok = subscription !== undefined && !draining;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ready\n' : 'not ready\n');
    } else if (path === '/metrics') {
      registry.metrics().then(
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
  return {
    port: typeof address === 'object' && address ? address.port : port,
    ready(s) {
      subscription = s;
    },
    close() {
      draining = true;
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
