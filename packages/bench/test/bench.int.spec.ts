/**
 * `speedlayer bench` on the real Kafka peer, through the speedlayer Kafka adapter and, with `--overhead`, through
 * raw kafkajs with the same settings; `--with-cost` joins the planner's MSK estimate.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../cli/bin/speedlayer.js', import.meta.url));
const tiny = fileURLToPath(new URL('../../../examples/omb/tiny-1-topic-2-partitions-100b.yaml', import.meta.url));

describePeer('kafka', 'bench cli: kafka peer', (kafka) => {
  it('measures kafka:// through speedlayer and raw kafkajs, with ratios, every percentile and a cost', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'speedlayer-bench-kafka-'));
    const r = spawnSync(
      process.execPath,
      [
        bin,
        'bench',
        tiny,
        '--stream',
        `kafka://${kafka.bootstrap}`,
        '--duration',
        '3s',
        '--warmup',
        '1s',
        '--overhead',
        '--overhead-rounds',
        '1',
        '--with-cost',
        '--json',
        '--out',
        join(cwd, 'out'),
      ],
      { cwd, encoding: 'utf8', timeout: 170_000 },
    );
    if (r.status !== 0) throw new Error(`bench failed (${r.status}): ${r.stderr}`);
    const doc = JSON.parse(r.stdout);
    const [t] = doc.targets;
    expect(t).toMatchObject({ target: 'kafka' });
    expect(t.error).toBeUndefined();
    const res = t.result;
    expect(res.driver).toBe('speedlayer:kafka');
    for (const metric of ['PublishLatency', 'PublishDelayLatency', 'EndToEndLatency']) {
      for (const p of ['Avg', '50pct', '75pct', '95pct', '99pct', '999pct', '9999pct', 'Max']) {
        expect(typeof res[`aggregated${metric}${p}`], `${metric}${p}`).toBe('number');
      }
    }
    expect(res.aggregatedEndToEndLatencyMax).toBeGreaterThan(0);
    expect(res.speedlayer.avgPublishRate).toBeGreaterThan(0);
    expect(res.speedlayer.received).toBeGreaterThan(0);
    expect(t.overhead).toMatchObject({ done: true, baseline: 'raw-kafkajs', rounds: 1 });
    expect(t.overhead.publishThroughputRatio).toBeGreaterThan(0);
    expect(t.overhead.raw.speedlayer.avgPublishRate).toBeGreaterThan(0);
    expect(t.overhead.raw.aggregatedEndToEndLatencyMax).toBeGreaterThan(0);
    expect(t.cost).toMatchObject({ target: 'aws-msk-eks', feasible: true });
    expect(t.cost.monthlyCostUsd).toBeGreaterThan(0);
  });

  it('names an unreachable broker and still runs the next target', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'speedlayer-bench-kafka-'));
    const r = spawnSync(
      process.execPath,
      [
        bin,
        'bench',
        tiny,
        '--stream',
        'kafka://127.0.0.1:1',
        '--stream',
        `kafka://${kafka.bootstrap}`,
        '--duration',
        '2s',
        '--warmup',
        '0s',
        '--connect-timeout',
        '10s',
        '--json',
        '--out',
        join(cwd, 'out'),
      ],
      { cwd, encoding: 'utf8', timeout: 170_000 },
    );
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.targets[0].error.message).toContain('kafka://127.0.0.1:1');
    expect(doc.targets[1].error).toBeUndefined();
    expect(doc.targets[1].result.speedlayer.avgPublishRate).toBeGreaterThan(0);
  });
});
