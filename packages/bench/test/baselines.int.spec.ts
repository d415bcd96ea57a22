/**
 * The raw-client baselines of `--overhead` against their real peers: each one briefly runs a small keyed workload
 * (two consumers in one group, so the static partition split is exercised) and must deliver what it sent, with
 * end-to-end latency measured from the send time it carries. Kinesis runs with no AWS credentials in the
 * environment (moto: the baseline uses fixed test credentials for a loopback endpoint).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { baselineFor, runWorkload, validateOmbWorkload } from '@speedlayer/bench';
import { injectPeers } from '@speedlayer/testing/peers/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const workload = validateOmbWorkload({
  name: 'baseline smoke',
  topics: 1,
  partitionsPerTopic: 2,
  keyDistributor: 'KEY_ROUND_ROBIN',
  messageSize: 200,
  subscriptionsPerTopic: 1,
  consumerPerSubscription: 2,
  producersPerTopic: 1,
  producerRate: 300,
  warmupDurationMinutes: 0,
  testDurationMinutes: 0.05,
});
const payloads = [new Uint8Array(200).fill(7)];

const cases = [
  { scheme: 'kinesis', baseline: 'raw-aws-sdk-kinesis', target: 'aws-kinesis-ecs' },
  { scheme: 'pubsub', baseline: 'raw-google-cloud-pubsub', target: 'gcp-pubsub-gke' },
  { scheme: 'eventhubs', baseline: 'raw-azure-event-hubs', target: 'azure-eventhubs-aks' },
  { scheme: 'eventhubs+kafka', baseline: 'raw-kafkajs-eventhubs', target: 'azure-eventhubs-aks' },
  { scheme: 'kafka', baseline: 'raw-kafkajs', target: 'kafka' },
] as const;

describe('bench baselines: raw vendor clients on the peers', () => {
  const streams = injectPeers().streams;
  const saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE', 'AWS_SESSION_TOKEN']) {
      saved[k] = process.env[k];
      delete process.env[k];
    }
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
  });

  for (const c of cases) {
    const uri = streams[c.scheme];
    it.skipIf(uri === undefined)(`${c.scheme}: ${c.baseline} delivers every keyed message it sends, with latency`, async () => {
      const lookup = await baselineFor(uri as string);
      expect(lookup).toMatchObject({ available: true, name: c.baseline });
      if (!lookup.available) return;
      const driver = await lookup.open();
      expect(driver.target).toBe(c.target);
      try {
        const m = await runWorkload(driver, {
          workload,
          payloads,
          durations: { warmupMs: 500, testMs: 3000 },
          sampleIntervalMs: 1000,
          drainTimeoutMs: 15_000,
        });
        expect(m.firstError).toBeUndefined();
        expect(m.totals.errors).toBe(0);
        // 300 msg/s for 3 s: the schedule is met within a wide margin
        expect(m.totals.sent).toBeGreaterThan(450);
        expect(m.totals.bytesSent).toBe(m.totals.sent * 200);
        expect(m.totals.received).toBeGreaterThan(m.totals.sent * 0.5);
        const e2e = m.endToEnd.total();
        expect(e2e.count).toBeGreaterThan(0);
        expect(e2e.pct['50pct']).toBeGreaterThan(0);
        expect(m.publishLatency.total().count).toBeGreaterThanOrEqual(m.totals.sent);
      } finally {
        await driver.close();
      }
    });
  }
});

const bin = fileURLToPath(new URL('../../cli/bin/speedlayer.js', import.meta.url));
const tiny = fileURLToPath(new URL('../../../examples/omb/tiny-1-topic-2-partitions-100b.yaml', import.meta.url));

describe('bench cli: --peers', () => {
  const streams = injectPeers().streams;
  it.skipIf(Object.keys(streams).length < 6)(
    'benchmarks all six peer streams from `peers status` with no credentials in the environment, and prices each cloud target',
    () => {
      const cwd = mkdtempSync(join(tmpdir(), 'speedlayer-bench-peers-'));
      const env = { ...process.env };
      for (const k of Object.keys(env)) if (k.startsWith('AWS_') && k !== 'AWS_CA_BUNDLE') delete env[k];
      delete env.PUBSUB_EMULATOR_HOST;
      const r = spawnSync(
        process.execPath,
        [bin, 'bench', tiny, '--peers', '--duration', '1s', '--warmup', '0s', '--with-cost', '--json', '--out', join(cwd, 'out')],
        { cwd, env, encoding: 'utf8', timeout: 170_000 },
      );
      if (r.status !== 0) throw new Error(`bench --peers failed (${r.status}): ${r.stderr}`);
      const doc = JSON.parse(r.stdout) as {
        targets: Array<{
          stream: string;
          target?: string;
          error?: { message: string };
          result?: { speedlayer: { avgPublishRate: number } };
          cost?: { perMillionMessagesUsd?: number | null; regions?: string[]; pricesAsOf?: string[]; done?: false };
        }>;
      };
      expect(doc.targets.map((t) => t.stream.split('://')[0])).toEqual([
        'local',
        'kafka',
        'kinesis',
        'pubsub',
        'eventhubs',
        'eventhubs+kafka',
      ]);
      for (const t of doc.targets) {
        expect(t.error, t.stream).toBeUndefined();
        expect(t.result?.speedlayer.avgPublishRate, t.stream).toBeGreaterThan(0);
        if (t.target === 'local') expect(t.cost).toMatchObject({ done: false });
        else {
          expect(t.cost?.perMillionMessagesUsd, t.stream).toBeGreaterThan(0);
          expect(t.cost?.regions?.length, t.stream).toBeGreaterThan(0);
          expect(t.cost?.pricesAsOf?.[0], t.stream).toMatch(/^\d{4}-\d{2}-\d{2}/);
        }
      }
    },
  );
});
