/**
 * The worker's `/metrics` beside the OpenTelemetry SDK started from the `OTEL_*` variables, with the real Collector
 * peer as the OTLP receiver: `OTEL_METRICS_EXPORTER=none` keeps traces on OTLP and serves every metric on `/metrics`;
 * with OTLP metrics export on, the metrics go to the Collector and `/metrics` serves the worker counters, saying so.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uniqueName } from '@speedlayer/testing';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/speedlayer.js', import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), 'speedlayer-health-otel-'));
const stream = `local://${join(cwd, 'data')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describePeer('otelcol', 'worker /metrics with the OTEL_* SDK (real Collector)', (otelcol) => {
  const handler = join(cwd, 'ok.mjs');
  writeFileSync(handler, 'export default () => {};\n');

  async function scrapeWorker(topic: string, service: string, otel: Record<string, string>) {
    const cli = (args: string[], input?: string) => {
      const r = spawnSync(process.execPath, [bin, ...args], { cwd, input, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
    };
    cli(['topic', 'create', topic, '--stream', stream]);
    cli(['produce', '--topic', topic, '--stream', stream], 'a\nb\nc\n');
    const env: NodeJS.ProcessEnv = { ...process.env, OTEL_SERVICE_NAME: service, ...otel };
    delete env.OTEL_SDK_DISABLED;
    const worker = spawn(
      process.execPath,
      [bin, 'worker', '--topic', topic, '--group', 'g', '--handler', handler, '--stream', stream, '--health-port', '0'],
      { cwd, env },
    );
    let stderr = '';
    worker.stderr.on('data', (d) => (stderr += String(d)));
    try {
      let port = 0;
      for (let i = 0; i < 400 && !port; i++) {
        port = Number(/"message":"health endpoints","port":(\d+)/.exec(stderr)?.[1] ?? 0);
        if (!port) await sleep(50);
      }
      expect(port, stderr).toBeGreaterThan(0);
      let text = '';
      for (let i = 0; i < 200 && !/speedlayer_worker_messages_handled_total\{[^}]*\} 3\n/.test(text); i++) {
        await sleep(50);
        text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      }
      expect(text).toMatch(/speedlayer_worker_messages_handled_total\{[^}]*\} 3\n/);
      return { text, stderr: () => stderr };
    } finally {
      worker.kill('SIGTERM');
      expect(await new Promise((r) => worker.once('exit', r))).toBe(0);
    }
  }

  it('OTEL_METRICS_EXPORTER=none: traces go to the Collector and every metric is on /metrics', async () => {
    const topic = uniqueName('otel-scrape');
    const service = uniqueName('svc-scrape');
    const r = await scrapeWorker(topic, service, {
      OTEL_EXPORTER_OTLP_ENDPOINT: otelcol.otlpHttpEndpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_METRICS_EXPORTER: 'none',
    });
    expect(r.text).toContain('# TYPE messaging_client_consumed_messages_total counter\n');
    expect(r.text).toMatch(
      new RegExp(`messaging_client_consumed_messages_total\\{[^}]*messaging_destination_name="${topic}"[^}]*\\} 3\\n`),
    );
    expect(r.text).toContain('# TYPE messaging_consumer_lag gauge\n');
    // the worker flushed its spans on SIGTERM: the Collector wrote the process spans of this topic
    let traces = '';
    for (let i = 0; i < 100 && !traces.includes(`process ${topic}`); i++) {
      await sleep(100);
      traces = readFileSync(otelcol.tracesFile, 'utf8');
    }
    expect(traces).toContain(`process ${topic}`);
    expect(traces).toContain(service);
  });

  it('OTLP metrics export on: the metrics go to the Collector, /metrics serves the worker counters and says why', async () => {
    const topic = uniqueName('otel-otlp');
    const service = uniqueName('svc-otlp');
    const r = await scrapeWorker(topic, service, {
      OTEL_EXPORTER_OTLP_ENDPOINT: otelcol.otlpHttpEndpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_METRIC_EXPORT_INTERVAL: '500',
    });
    expect(r.text).not.toContain('messaging_client_consumed_messages_total');
    expect(r.stderr()).toContain('OTEL_METRICS_EXPORTER=none keeps traces on OTLP and serves every metric on /metrics');
    let received = '';
    for (let i = 0; i < 100 && !(received.includes(service) && received.includes('messaging.client.consumed.messages')); i++) {
      await sleep(100);
      received = readFileSync(otelcol.metricsFile, 'utf8');
    }
    expect(received).toContain(service);
    expect(received).toContain('messaging.client.consumed.messages');
  });
});
