/**
 * `speedlayer lag` as a user runs it (the built binary) on every peer target: after 100 produced and 40 consumed by
 * group g, `--json` reports a total of 60 with a lag per partition, on Kafka, Kinesis (moto), Event Hubs (AMQP
 * stand-in), the Event Hubs Kafka endpoint, and Pub/Sub on a pstest with snapshots (the private server of
 * adapters/gcp-pubsub-gke/test/pstest-snapshots), there also with the oldest message's age and in the table; on the
 * peers' pstest, which has no snapshots, a one-line typed refusal. (local: lag.local.spec.ts.)
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uniqueName } from '@speedlayer/testing';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type SnapshotPstest, snapshotPstest } from '../../../adapters/gcp-pubsub-gke/test/pstest-snapshots/server.js';

const bin = fileURLToPath(new URL('../bin/speedlayer.js', import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), 'speedlayer-lag-pubsub-'));

// moto takes any key; the SDK's credential chain only needs one
const env = { ...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' };

function run(stream: string, args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [bin, ...args, '--stream', stream],
      { cwd, env, encoding: 'utf8', timeout: 120_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
    child.stdin?.end(input ?? '');
  });
}

const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `k${(from + i) % 7}:v${from + i}`).join('\n');

interface Report {
  total: number;
  maxAgeSeconds?: number;
  partitions: { partition: number; lag: number; ageSeconds?: number; truncated?: boolean }[];
}

/**
 * 100 produced (keys k0..k6), the first 40 consumed by group g through `consume --count 40`, then `lag --json`.
 * `register`: subscribe the group before producing (targets without history for new groups, i.e. pstest).
 */
async function hundredFortyConsumed(stream: string, topic: string, options: { partitions?: number; register?: boolean } = {}) {
  const create = await run(stream, [
    'topic',
    'create',
    topic,
    ...(options.partitions ? ['--partitions', String(options.partitions)] : []),
  ]);
  expect(create.code, create.stderr).toBe(0);
  if (options.register) {
    const registered = await run(stream, ['consume', '--topic', topic, '--group', 'g', '--idle-exit', '300']);
    expect(registered.code, registered.stderr).toBe(0);
  }
  expect((await run(stream, ['produce', '--topic', topic, '--key-separator', ':'], `${lines(40)}\n`)).code).toBe(0);
  const consumed = await run(stream, ['consume', '--topic', topic, '--group', 'g', '--count', '40']);
  expect(consumed.code, consumed.stderr).toBe(0);
  expect(consumed.stdout.trim().split('\n')).toHaveLength(40);
  expect((await run(stream, ['produce', '--topic', topic, '--key-separator', ':'], `${lines(60, 40)}\n`)).code).toBe(0);
  const json = await run(stream, ['lag', '--topic', topic, '--group', 'g', '--json']);
  expect(json.code, json.stderr).toBe(0);
  return JSON.parse(json.stdout) as Report;
}

describePeer('kafka', 'cli: lag on every peer target', (_kafka, peers) => {
  for (const target of ['kafka', 'kinesis', 'eventhubs', 'eventhubs+kafka']) {
    const stream = peers.streams[target];
    it.skipIf(stream === undefined)(
      `${target}: after 100 produced and 40 consumed by group g, --json reports 60 over 3 partitions`,
      async () => {
        const report = await hundredFortyConsumed(stream as string, uniqueName('cli-lag'), { partitions: 3 });
        expect(report.total).toBe(60);
        expect(report.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
        expect(report.partitions.reduce((n, p) => n + p.lag, 0)).toBe(60);
      },
      180_000,
    );
  }
});

describePeer('pubsub', 'cli: lag on Pub/Sub', (pubsub) => {
  let server: SnapshotPstest = { skip: 'not started' };
  beforeAll(async () => {
    server = await snapshotPstest();
  }, 600_000);
  afterAll(async () => {
    if (!('skip' in server)) await server.stop();
  });

  it('after 100 produced and 40 consumed by group g, reports 60 on partition 0 with the oldest age, in --json and the table', async (ctx) => {
    if ('skip' in server) return ctx.skip(server.skip);
    const stream = `pubsub://${pubsub.projectId}?emulatorHost=${server.host}`;
    const topic = uniqueName('cli-lag');
    const started = Date.now();
    // pstest has no Seek: the group's subscription must exist before the messages are published
    const report = await hundredFortyConsumed(stream, topic, { register: true });
    expect(report.total).toBe(60);
    expect(report.partitions).toEqual([{ partition: 0, lag: 60, ageSeconds: report.maxAgeSeconds }]);
    // the oldest unprocessed message (the 41st) was published during this test, after the first 40 were consumed
    expect(report.maxAgeSeconds).toBeGreaterThan(0);
    expect(report.maxAgeSeconds).toBeLessThan((Date.now() - started) / 1000);

    const table = await run(stream, ['lag', '--topic', topic, '--group', 'g']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^lag of group g on ${topic}: 60 message\\(s\\), oldest \\d+\\.\\d s`));

    // the lag reading did not consume the group's messages: the 60 are still there for it
    const rest = await run(stream, ['consume', '--topic', topic, '--group', 'g', '--count', '60']);
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.stdout.trim().split('\n')).toHaveLength(60);
    expect(JSON.parse((await run(stream, ['lag', '--topic', topic, '--group', 'g', '--json'])).stdout)).toMatchObject({
      total: 0,
    });
  }, 300_000);

  it("on the peers' pstest (no snapshots) the refusal is one line naming why, exit 2", async () => {
    const stream = `pubsub://${pubsub.projectId}?emulatorHost=${pubsub.emulatorHost}`;
    const topic = uniqueName('cli-lag-unsup');
    expect((await run(stream, ['topic', 'create', topic])).code).toBe(0);
    const refused = await run(stream, ['lag', '--topic', topic, '--group', 'g']);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/snapshot.*pstest has no snapshots/);
  }, 60_000);
});
