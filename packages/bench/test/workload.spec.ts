import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { durationsOf, loadOmbWorkload, makePayloads, OmbWorkloadError, parseDuration, parseOmbWorkload } from '../src/index.js';

const examples = fileURLToPath(new URL('../../../examples/omb/', import.meta.url));

const base = `
name: t
topics: 1
partitionsPerTopic: 4
messageSize: 100
subscriptionsPerTopic: 1
consumerPerSubscription: 1
producersPerTopic: 1
producerRate: 1000
testDurationMinutes: 1
`;

function issues(text: string): Array<{ path: string; message: string }> {
  try {
    parseOmbWorkload(text, 'w.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(OmbWorkloadError);
    return [...(e as OmbWorkloadError).issues];
  }
  throw new Error('expected a validation error');
}

describe('bench/workload: parsing OMB workload files', () => {
  it('reads the shipped examples with OMB defaults applied', async () => {
    const big = await loadOmbWorkload(join(examples, '1-topic-16-partitions-1kb.yaml'));
    expect(big.workload).toMatchObject({
      topics: 1,
      partitionsPerTopic: 16,
      messageSize: 1024,
      producerRate: 50000,
      keyDistributor: 'NO_KEY',
    });
    expect(big.payloads).toHaveLength(1);
    expect(big.payloads[0]?.byteLength).toBe(1024);
    const tiny = await loadOmbWorkload(join(examples, 'tiny-1-topic-2-partitions-100b.yaml'));
    expect(tiny.workload).toMatchObject({ keyDistributor: 'KEY_ROUND_ROBIN', subscriptionsPerTopic: 2, backlogDrainRatio: 1 });
    expect(tiny.payloads[0]?.byteLength).toBe(100);
    const max = await loadOmbWorkload(join(examples, 'max-rate-1-topic-4-partitions-1kb.yaml'));
    expect(max.workload.producerRate).toBe(0);
  });

  it('applies OMB defaults: NO_KEY, one minute of warm-up, no backlog', () => {
    const w = parseOmbWorkload(base);
    expect(w).toMatchObject({
      keyDistributor: 'NO_KEY',
      warmupDurationMinutes: 1,
      consumerBacklogSizeGB: 0,
      useRandomizedPayloads: false,
    });
  });

  it('names an unknown field and lists the known ones', () => {
    const found = issues(`${base}partitionPerTopic: 3\n`);
    expect(found).toEqual([
      expect.objectContaining({ path: 'partitionPerTopic', message: expect.stringContaining('unknown field') }),
    ]);
    expect(found[0]?.message).toContain('partitionsPerTopic');
  });

  it('reports OMB fields it does not implement as unsupported, by name', () => {
    const found = issues(`${base}producerStartRate: 5000\n`);
    expect(found[0]).toMatchObject({ path: 'producerStartRate', message: expect.stringContaining('not supported') });
  });

  it('reports the backlog mode as not supported rather than ignoring it', () => {
    const found = issues(base.replace('producerRate: 1000', 'producerRate: 1000\nconsumerBacklogSizeGB: 1'));
    expect(found.map((i) => i.path)).toContain('consumerBacklogSizeGB');
  });

  it('rejects producerRate 0 with a backlog, as OMB does', () => {
    const found = issues(base.replace('producerRate: 1000', 'producerRate: 0\nconsumerBacklogSizeGB: 1'));
    expect(found.map((i) => i.path)).toContain('producerRate');
  });

  it('names every bad value with what it got', () => {
    const found = issues(
      base.replace('partitionsPerTopic: 4', 'partitionsPerTopic: 0').replace('name: t', 'name: t\nkeyDistributor: RANDOM'),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'partitionsPerTopic', message: expect.stringContaining('got 0') }),
        expect.objectContaining({
          path: 'keyDistributor',
          message: expect.stringContaining('NO_KEY, KEY_ROUND_ROBIN, RANDOM_NANO'),
        }),
      ]),
    );
  });

  it('names missing required fields', () => {
    const found = issues('name: t\ntopics: 1\n');
    expect(found.map((i) => i.path)).toEqual(
      expect.arrayContaining(['partitionsPerTopic', 'messageSize', 'producerRate', 'testDurationMinutes']),
    );
  });

  it('rejects text that is not a mapping', () => {
    expect(issues('- a\n- b\n')[0]?.path).toBe('(root)');
    expect(issues('a: [\n')[0]?.message).toContain('not valid YAML');
  });

  it('reports an unreadable payloadFile by field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-wl-'));
    const file = join(dir, 'w.yaml');
    writeFileSync(file, `${base}payloadFile: nope/missing.data\n`);
    await expect(loadOmbWorkload(file)).rejects.toMatchObject({ field: 'payloadFile' });
  });
});

describe('bench/workload: payloads and durations', () => {
  it('builds part-random payloads of messageSize in a pool', () => {
    const w = parseOmbWorkload(`${base}useRandomizedPayloads: true\nrandomBytesRatio: 0.5\nrandomizedPayloadPoolSize: 3\n`);
    const payloads = makePayloads(w, undefined, (n) => new Uint8Array(n).fill(7));
    expect(payloads).toHaveLength(3);
    for (const p of payloads) {
      expect(p.byteLength).toBe(100);
      expect(p.filter((b) => b === 7)).toHaveLength(50);
    }
  });

  it('parses CLI durations and overrides the workload minutes', () => {
    expect(parseDuration('10s', 'd')).toBe(10_000);
    expect(parseDuration('2m', 'd')).toBe(120_000);
    expect(parseDuration('500ms', 'd')).toBe(500);
    expect(parseDuration('3', 'd')).toBe(3000);
    expect(() => parseDuration('soon', '--duration')).toThrow(/--duration/);
    const w = parseOmbWorkload(base);
    expect(durationsOf(w)).toEqual({ warmupMs: 60_000, testMs: 60_000 });
    expect(durationsOf(w, { testMs: 3000, warmupMs: 1000 })).toEqual({ warmupMs: 1000, testMs: 3000 });
  });
});
