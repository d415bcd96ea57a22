import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from '../src/index.js';

describe('kafka/partitioner', () => {
  // Kafka's own UtilsTest.testMurmur2 vectors (the same ones packages/local/test/store.spec.ts uses).
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('murmur2(%s) = %d as in the Java client', (input, expected) => {
    expect(murmur2(Buffer.from(input))).toBe(expected);
  });

  it('picks toPositive(murmur2(key)) % partitions like the Java default partitioner', () => {
    expect(partitionForKey('foobar', 8)).toBe((-790332482 & 0x7fffffff) % 8);
  });

  it('agrees with the kafkajs Java-compatible DefaultPartitioner for many keys, non-ASCII included', () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    for (const partitions of [1, 3, 4, 7, 16, 100]) {
      const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({
        partitionId: i,
        leader: 1,
        partitionErrorCode: 0,
        replicas: [1],
        isr: [1],
      }));
      for (let i = 0; i < 500; i++) {
        const key = i % 5 === 0 ? `ключ-✓-${i}` : `customer-${i}`;
        expect(partitionForKey(key, partitions)).toBe(kafkajs({ topic: 't', partitionMetadata, message: { key, value: 'v' } }));
      }
    }
  });
});
