import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from '../src/index.js';

describe('local/murmur2', () => {
  // Test vectors of Kafka's own UtilsTest.testMurmur2, so local:// places keys where a Kafka client would.
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

  it('partitions keys with the positive hash modulo the partition count', () => {
    expect(partitionForKey('foobar', 8)).toBe((-790332482 & 0x7fffffff) % 8);
  });
});
