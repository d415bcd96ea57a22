/**
 * Baseline for `kafka://`: raw kafkajs with the settings the speedlayer Kafka adapter uses by default
 * (idempotent producer, acks=all, one request in flight, 1 MiB per partition fetch, 100 ms max wait, commits
 * every 200 ms), so the comparison shows the adapter's own cost. kafkajs types stay in this module.
 *
 * @packageDocumentation
 */
import { ConnectionError, type ParsedUri, parseHostList } from '@speedlayer/core';
import { type Consumer, Kafka, logLevel, type Producer } from 'kafkajs';
import type { BenchConsumer, BenchConsumerCallback, BenchDriver, BenchProducer } from '../driver.js';

class KafkaBaseline implements BenchDriver {
  readonly name = 'raw-kafkajs';
  readonly target = 'aws-msk-eks';
  private readonly producers = new Set<Producer>();
  private readonly consumers = new Set<Consumer>();

  constructor(private readonly kafka: Kafka) {}

  async createTopic(topic: string, partitions: number): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
  }

  async createProducer(topic: string): Promise<BenchProducer> {
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    this.producers.add(producer);
    return {
      send: async (key, value, headers) => {
        await producer.send({
          topic,
          acks: -1,
          messages: [{ key: key ?? null, value: Buffer.from(value.buffer, value.byteOffset, value.byteLength), headers }],
        });
      },
      close: async () => {
        this.producers.delete(producer);
        await producer.disconnect();
      },
    };
  }

  async createConsumer(topic: string, group: string, onMessage: BenchConsumerCallback): Promise<BenchConsumer> {
    const consumer = this.kafka.consumer({
      groupId: group,
      maxBytesPerPartition: 1_048_576,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommitInterval: 200,
      partitionsConsumedConcurrently: 64,
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) {
          if (v !== undefined) headers[k] = Array.isArray(v) ? String(v[0]) : String(v);
        }
        onMessage(headers, message.value?.byteLength ?? 0);
      },
    });
    this.consumers.add(consumer);
    return {
      close: async () => {
        this.consumers.delete(consumer);
        await consumer.disconnect();
      },
    };
  }

  async deleteTopic(topic: string): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: [topic] });
    } finally {
      await admin.disconnect();
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.disconnect()));
    await Promise.all([...this.producers].map((p) => p.disconnect()));
  }
}

/** Opens raw kafkajs on the brokers of `kafka://host:port[,host:port]` (PLAINTEXT only). */
export async function openKafkaBaseline(uri: ParsedUri): Promise<BenchDriver> {
  const brokers = parseHostList(uri.location, 'stream');
  if (brokers.length === 0) throw new ConnectionError(`stream: ${uri.raw} names no broker`, { field: 'stream' });
  const kafka = new Kafka({
    clientId: 'speedlayer-bench-raw',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 300 },
  });
  return new KafkaBaseline(kafka);
}
