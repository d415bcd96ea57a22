/**
 * Interop with a non-speedlayer client: Kafka's own Java console tools (ConsoleConsumer / ConsoleProducer from the
 * peer's jars) read what speedlayer wrote, and speedlayer reads what they wrote — keys, headers, partitions.
 */
import { type ConsumedMessage, connect, partitionForKey, type StreamClient, utf8 } from '@speedlayer/core';
import { uniqueName, waitFor } from '@speedlayer/testing';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { consoleConsume, consoleProduce, kafkaConsoleClasspath } from './support/kafka-console.js';

describePeer('kafka', 'kafka stream interop with the Java client', (kafka) => {
  let client: StreamClient;
  let classpath: string;

  beforeAll(async () => {
    classpath = await kafkaConsoleClasspath(kafka.version);
    client = await connect(`kafka://${kafka.bootstrap}`);
  }, 600_000);

  afterAll(async () => {
    await client?.close();
  });

  it('Java ConsoleConsumer reads speedlayer records with the same keys, headers and partitions', async () => {
    const topic = uniqueName('interop-out');
    await client.admin.ensureTopic(topic, { partitions: 4 });
    const records = Array.from({ length: 40 }, (_, i) => ({
      key: i % 10 === 9 ? `ключ-✓-${i}` : `customer-${i}`,
      value: `order-${i}`,
      headers: { 'trace-id': `t-${i}`, 'x-ünïcode': 'välue ✓' },
    }));
    records.push({ key: null as unknown as string, value: 'no-key', headers: { 'trace-id': 'none', 'x-ünïcode': 'n' } });
    const producer = client.producer();
    const meta = await producer.send(topic, records);
    await producer.close();

    const read = await consoleConsume(classpath, kafka.bootstrap, topic, records.length);
    const byValue = new Map(read.map((r) => [r.value, r]));
    records.forEach((r, i) => {
      const got = byValue.get(r.value);
      expect(got, r.value).toBeDefined();
      expect(got?.key).toBe(r.key ?? null);
      expect(got?.headers).toEqual(r.headers);
      expect(got?.partition).toBe(meta[i]?.partition);
      if (r.key) expect(got?.partition).toBe(partitionForKey(r.key, 4));
    });
  });

  it('speedlayer consumes ConsoleProducer records; the Java partitioner placed every key where speedlayer would', async () => {
    const topic = uniqueName('interop-in');
    await client.admin.ensureTopic(topic, { partitions: 4 });
    const lines = Array.from({ length: 60 }, (_, i) => `source:java,seq:${i}\tkey-${i % 17}\tjava-${i}`);
    await consoleProduce(classpath, kafka.bootstrap, topic, lines);

    const got: ConsumedMessage[] = [];
    const sub = await client.subscribe({ topic, group: uniqueName('g-interop'), sessionTimeoutMs: 6000 }, (m) => {
      got.push(m);
    });
    await waitFor(() => got.length >= lines.length, 'all ConsoleProducer records', 60_000);
    await sub.close();

    for (const m of got) {
      const i = Number(utf8(m.value).slice('java-'.length));
      expect(m.key).toBe(`key-${i % 17}`);
      expect(m.headers).toEqual({ source: 'java', seq: String(i) });
      expect(m.partition).toBe(partitionForKey(m.key ?? '', 4));
    }
    // per-key order as the Java producer wrote it
    const lastSeq = new Map<string, number>();
    for (const m of got) {
      const i = Number(utf8(m.value).slice('java-'.length));
      expect(i).toBeGreaterThan(lastSeq.get(m.key ?? '') ?? -1);
      lastSeq.set(m.key ?? '', i);
    }
  });
});
