import { describe, expect, it } from 'vitest';
import { partitionForKey, planProduceRequests } from '../src/index.js';

/** Bytes the planner counts for a record: key + value + header bytes, 40 of record framing, 10 per header. */
const framed = (valueBytes: number, key = 'k0', headers = 1) => key.length + valueBytes + 2 * headers + 40 + 10 * headers;

describe('kafka/produce requests', () => {
  it('keeps one request for a small batch, each record on its key’s murmur2 partition, sticky without a key', () => {
    const records = [{ key: 'a', value: 'x' }, { value: 'no key' }, { key: 'b', value: 'y', partition: 2 }];
    const requests = planProduceRequests(records, 6, 4, { maxPartitionBytes: 1_000_000 });
    expect(requests).toEqual([
      [
        { index: 0, partition: partitionForKey('a', 6) },
        { index: 1, partition: 4 },
        { index: 2, partition: 2 },
      ],
    ]);
    expect(planProduceRequests([], 6, 0, { maxPartitionBytes: 10 })).toEqual([]);
  });

  it('splits one partition’s run below maxPartitionBytes, in order', () => {
    const records = Array.from({ length: 5 }, (_, i) => ({ key: 'k0', value: 'v'.repeat(400_000), headers: { i: String(i) } }));
    const requests = planProduceRequests(records, 3, 0, { maxPartitionBytes: 1_048_588 - 61 });
    expect(requests.map((r) => r.map((x) => x.index))).toEqual([[0, 1], [2, 3], [4]]);
  });

  it('with maxRequestBytes, splits across partitions so no request passes it (Event Hubs), keeping each partition’s order', () => {
    const records = Array.from({ length: 9 }, (_, i) => ({
      key: `k${i % 3}`,
      value: 'v'.repeat(300_000),
      headers: { i: String(i) },
      partition: i % 3,
    }));
    const limit = 1_000_000;
    const requests = planProduceRequests(records, 8, 0, { maxPartitionBytes: limit - 61, maxRequestBytes: limit });
    expect(requests.length).toBe(3);
    for (const r of requests) {
      const partitions = new Set(r.map((x) => x.partition)).size;
      const bytes = r.reduce((n, x) => n + framed(300_000, `k${x.index % 3}`), 0) + 61 * partitions;
      expect(bytes).toBeLessThanOrEqual(limit);
    }
    expect(
      requests
        .flat()
        .map((x) => x.index)
        .sort((a, b) => a - b),
    ).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    // each partition's records come in batch order across requests
    const byPartition = new Map<number, number[]>();
    for (const x of requests.flat()) byPartition.set(x.partition, [...(byPartition.get(x.partition) ?? []), x.index]);
    for (const order of byPartition.values()) expect(order).toEqual([...order].sort((a, b) => a - b));
    // without the request limit the same batch is one request (each partition holds 900 KB)
    expect(planProduceRequests(records, 8, 0, { maxPartitionBytes: limit - 61 })).toHaveLength(1);
  });

  it('sends a record above a limit alone rather than looping', () => {
    const requests = planProduceRequests(
      [
        { key: 'a', value: 'x' },
        { key: 'a', value: 'v'.repeat(5000) },
      ],
      1,
      0,
      { maxPartitionBytes: 4096, maxRequestBytes: 4096 },
    );
    expect(requests.map((r) => r.map((x) => x.index))).toEqual([[0], [1]]);
  });
});
