/**
 * Producer behaviour specific to Kafka, against the real Kafka peer: exact per-record offsets, batches larger than
 * `message.max.bytes` split per partition and kept in order, and the Java partitioner's placement of keys.
 */
import { type ConsumedMessage, connect, partitionForKey, type StreamClient } from '@speedlayer/core';
import { uniqueName, waitFor } from '@speedlayer/testing';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';

describePeer('kafka', 'kafka stream producer', (kafka) => {
  let client: StreamClient;
  beforeAll(async () => {
    client = await connect(`kafka://${kafka.bootstrap}`);
  });
  afterAll(async () => {
    await client?.close();
  });

  async function readAll(topic: string, n: number): Promise<ConsumedMessage[]> {
    const got: ConsumedMessage[] = [];
    const s = await client.subscribe({ topic, group: uniqueName('g'), sessionTimeoutMs: 6000 }, (m) => {
      got.push(m);
    });
    await waitFor(() => got.length >= n, `${n} messages`, 60_000);
    await s.close();
    return got;
  }

  it('returns the exact partition and offset of every record, as a consumer sees them', async () => {
    const topic = uniqueName('offsets');
    await client.admin.ensureTopic(topic, { partitions: 3 });
    const producer = client.producer();
    const records = Array.from({ length: 50 }, (_, i) => ({ key: `k${i % 7}`, value: `v${i}` }));
    const meta = [...(await producer.send(topic, records)), ...(await producer.send(topic, records))];
    await producer.close();
    const got = await readAll(topic, 100);
    const byPos = new Map(got.map((m) => [`${m.partition}@${m.position}`, m]));
    meta.forEach((md, i) => {
      const r = records[i % 50];
      const m = byPos.get(`${md.partition}@${md.position}`);
      expect(m && Buffer.from(m.value).toString(), `record ${i}`).toBe(r?.value);
      expect(md.partition).toBe(partitionForKey(r?.key ?? '', 3));
    });
  });

  it('splits a batch larger than message.max.bytes into ordered record batches', async () => {
    const topic = uniqueName('big-batch');
    await client.admin.ensureTopic(topic, { partitions: 2 });
    const producer = client.producer();
    const big = (i: number) => Buffer.concat([Buffer.from(`big-${i}:`), Buffer.alloc(400_000, i)]);
    // ~2.4 MB for one key (one partition): over the broker's 1 MiB message.max.bytes unless split
    const records = Array.from({ length: 6 }, (_, i) => ({ key: 'same-key', value: big(i) }));
    const meta = await producer.send(topic, records);
    await producer.close();
    const partition = partitionForKey('same-key', 2);
    expect(meta.map((m) => m.partition)).toEqual(Array(6).fill(partition));
    const positions = meta.map((m) => Number(m.position));
    expect(positions).toEqual(positions.map((_, i) => (positions[0] ?? 0) + i));
    const got = await readAll(topic, 6);
    expect(got.map((m) => Buffer.from(m.value).subarray(0, 6).toString())).toEqual(records.map((_, i) => `big-${i}:`));
  });
});
