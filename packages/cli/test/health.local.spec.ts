/**
 * The worker's health server as an operator scrapes it: the built `speedlayer worker` in a child process on the local
 * target, `/metrics` read over HTTP (counters, histograms, gauges with their TYPE lines, consumer lag per partition)
 * and `/readyz` following the worker's readiness when its topic is deleted under it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROMETHEUS_METRICS } from '@speedlayer/planner';
import { afterAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/speedlayer.js', import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), 'speedlayer-health-'));
const stream = `local://${join(cwd, 'data')}`;
const children: ChildProcess[] = [];

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, input, encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a worker with a health port picked by the OS; resolves with its port and a stderr reader. */
async function startWorker(topic: string, handler: string, extra: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(
    process.execPath,
    [bin, 'worker', '--topic', topic, '--group', 'g', '--handler', handler, '--stream', stream, '--health-port', '0', ...extra],
    { cwd, env: { ...process.env, OTEL_SDK_DISABLED: 'true', ...env } },
  );
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  let port = 0;
  for (let i = 0; i < 400 && !port; i++) {
    port = Number(/"message":"health endpoints","port":(\d+)/.exec(stderr)?.[1] ?? 0);
    if (!port) await sleep(50);
  }
  expect(port, stderr).toBeGreaterThan(0);
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: res.status, text: await res.text() };
  };
  return { child, get, stderr: () => stderr };
}

/** The value of the first sample of `metric` whose labels contain every `labels` pair. */
function sample(text: string, metric: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== metric) continue;
    if (Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`))) return Number(m[3]);
  }
  return undefined;
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

describe('worker /metrics', () => {
  it('serves the core telemetry (counters, histograms, in flight) and lag per partition with their TYPE lines', async () => {
    run(['topic', 'create', 'scraped', '--partitions', '2', '--stream', stream]);
    // 40 records on partition-keyed lines, one of them poison (dead-lettered after its only attempt)
    const lines = Array.from({ length: 40 }, (_, i) => `k${i % 2}:${i === 7 ? 'bad' : 'ok'}-${i}`);
    run(['produce', '--topic', 'scraped', '--stream', stream, '--key-separator', ':'], `${lines.join('\n')}\n`);
    const handler = join(cwd, 'slow.mjs');
    // 50 ms per message: the backlog drains over about a second per partition, long enough to scrape lag > 0
    writeFileSync(
      handler,
      "export default async (m) => { await new Promise((r) => setTimeout(r, 50)); if (Buffer.from(m.value).toString().startsWith('bad')) throw new Error('poison'); };\n",
    );
    const w = await startWorker('scraped', handler, ['--max-attempts', '1', '--from', 'earliest']);
    try {
      let text = '';
      let maxLag = 0;
      for (let i = 0; i < 200; i++) {
        text = (await w.get('/metrics')).text;
        for (const p of ['0', '1']) {
          maxLag = Math.max(maxLag, sample(text, 'messaging_consumer_lag', { messaging_destination_partition_id: p }) ?? 0);
        }
        const handled = sample(text, 'speedlayer_worker_messages_handled_total', { topic: 'scraped' }) ?? 0;
        const lagLeft = ['0', '1'].map((p) => sample(text, 'messaging_consumer_lag', { messaging_destination_partition_id: p }));
        if (handled >= 39 && lagLeft.every((l) => l === 0)) break;
        await sleep(100);
      }
      // lag was seen while the backlog drained, and is 0 per partition once it is consumed
      expect(maxLag).toBeGreaterThan(0);
      for (const p of ['0', '1']) {
        expect(
          sample(text, 'messaging_consumer_lag', { messaging_consumer_group_name: 'g', messaging_destination_partition_id: p }),
        ).toBe(0);
        expect(sample(text, 'messaging_consumer_lag_age', { messaging_destination_partition_id: p })).toBeDefined();
      }
      // TYPE lines: counters, histograms and gauges
      for (const [name, type] of [
        ['messaging_client_consumed_messages_total', 'counter'],
        ['speedlayer_consumer_failed_attempts_total', 'counter'],
        ['messaging_process_duration', 'histogram'],
        ['speedlayer_consumer_in_flight', 'gauge'],
        ['messaging_consumer_lag', 'gauge'],
        ['messaging_consumer_lag_age', 'gauge'],
        ['speedlayer_worker_messages_handled_total', 'counter'],
        ['speedlayer_worker_messages_failures_total', 'counter'],
        ['speedlayer_worker_messages_dead_lettered_total', 'counter'],
        ['speedlayer_worker_messages_commits_total', 'counter'],
        ['speedlayer_worker_assigned_partitions', 'gauge'],
      ]) {
        expect(text, name).toContain(`# TYPE ${name} ${type}\n`);
      }
      const consumed = ['0', '1']
        .map((p) => sample(text, 'messaging_client_consumed_messages_total', { messaging_destination_partition_id: p }) ?? 0)
        .reduce((a, b) => a + b);
      expect(consumed).toBe(39);
      expect(sample(text, 'speedlayer_consumer_failed_attempts_total', { messaging_consumer_group_name: 'g' })).toBe(1);
      expect(sample(text, 'speedlayer_worker_messages_dead_lettered_total', { topic: 'scraped', group: 'g' })).toBe(1);
      expect(sample(text, 'speedlayer_worker_assigned_partitions', { topic: 'scraped' })).toBe(2);
      expect(sample(text, 'speedlayer_consumer_in_flight', { messaging_consumer_group_name: 'g' })).toBe(0);
      // the handler histogram has seconds buckets: 50 ms handlers land between 0.025 and 0.25
      const count = sample(text, 'messaging_process_duration_count', { messaging_consumer_group_name: 'g' })!;
      expect(count).toBeGreaterThan(0);
      expect(sample(text, 'messaging_process_duration_bucket', { messaging_consumer_group_name: 'g', le: '0.025' })).toBe(0);
      expect(sample(text, 'messaging_process_duration_bucket', { messaging_consumer_group_name: 'g', le: '0.25' })).toBe(count);
      // the dead letter went through the portable producer, so the send side counts it, on the dead-letter topic
      expect(sample(text, 'messaging_client_sent_messages_total', { messaging_destination_name: 'scraped.dlq' })).toBe(1);
      // every consumer-side metric the planner's alert rules and dashboard query is served here, and the send-side
      // ones of its dead letters (application sends are served by producing processes)
      const served = Object.entries(PROMETHEUS_METRICS).filter(([, n]) => text.includes(`# TYPE ${n} `));
      expect(served.map(([k]) => k).sort()).toEqual(
        [
          'assignedPartitions',
          'consumed',
          'deadLettered',
          'failedAttempts',
          'handled',
          'inFlight',
          'lagMessages',
          'lagSeconds',
          'processDuration',
          'sendDuration',
          'sent',
        ].sort(),
      );
    } finally {
      w.child.kill('SIGTERM');
      expect(await new Promise((r) => w.child.once('exit', r))).toBe(0);
    }
  });
});

describe('worker /readyz', () => {
  it('turns 503 with the reason after the bound when the topic is deleted under the consumer, while /healthz stays 200', async () => {
    run(['topic', 'create', 'doomed', '--stream', stream]);
    const handler = join(cwd, 'noop.mjs');
    writeFileSync(handler, 'export default () => {};\n');
    const w = await startWorker('doomed', handler, [], {
      SPEEDLAYER_UNREADY_AFTER_MS: '5000',
      SPEEDLAYER_FAIL_AFTER_MS: '120000',
    });
    try {
      let ready = await w.get('/readyz');
      for (let i = 0; i < 200 && ready.status !== 200; i++) {
        await sleep(50);
        ready = await w.get('/readyz');
      }
      expect(ready).toEqual({ status: 200, text: 'ready\n' });
      run(['topic', 'delete', 'doomed', '--stream', stream]);
      const deletedAt = Date.now();
      for (let i = 0; i < 400 && ready.status === 200; i++) {
        await sleep(50);
        ready = await w.get('/readyz');
      }
      const after = Date.now() - deletedAt;
      expect(ready.status, w.stderr()).toBe(503);
      expect(ready.text).toMatch(/^not ready: .*doomed/);
      // not before the bound (5 s, above the local consumer's 2.5 s retry spacing), and within it plus the one-second check
      expect(after).toBeGreaterThanOrEqual(4900);
      expect(after).toBeLessThan(12_000);
      expect((await w.get('/healthz')).status).toBe(200);
      expect(w.stderr()).toContain('cannot consume: not ready');
    } finally {
      w.child.kill('SIGTERM');
      await new Promise((r) => w.child.once('exit', r));
    }
  });
});
