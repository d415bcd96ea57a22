/**
 * Baselines for `kafka://` and `eventhubs+kafka://`: raw kafkajs with the settings the speedlayer Kafka adapter
 * uses by default (idempotent producer, acks=all, one request in flight, 1 MiB per partition fetch, 100 ms max
 * wait, commits every 200 ms), batched the way kafkajs' docs show for throughput: many messages per
 * `producer.send()` (up to {@link KAFKA_BATCH_RECORDS}), so the comparison shows the adapter's own cost against
 * hand-made batches. For Event Hubs' Kafka endpoint: SASL_SSL with PLAIN, user `$ConnectionString`, the
 * namespace connection string as password (Microsoft's Kafka quickstart). kafkajs types stay in this module.
 *
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import { ConfigError, ConnectionError, type ParsedUri, parseHostList, readSecretRef } from '@speedlayer/core';
import { type Admin, type Consumer, Kafka, type KafkaConfig, logLevel, type Message, type Producer } from 'kafkajs';
import type { BenchConsumer, BenchConsumerCallback, BenchDriver, BenchProducer } from '../driver.js';
import { RecordBatcher } from './batch.js';

/**
 * Waits until every partition of a just-created topic has a leader. kafkajs' own `waitForLeaders` gives up on the
 * first UNKNOWN_TOPIC_OR_PARTITION, which a KRaft broker answers until its metadata shows the new topic (about 2 s
 * for the first topic created after the start of a broker holding thousands of partitions); that answer is retried
 * here until `timeoutMs`.
 */
async function waitForLeaders(admin: Admin, topic: string, partitions: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const md = await admin.fetchTopicMetadata({ topics: [topic] });
      const ps = md.topics.find((t) => t.name === topic)?.partitions ?? [];
      if (ps.length === partitions && ps.every((p) => p.leader >= 0)) return;
    } catch (e) {
      const type = (e as { type?: string }).type;
      if (type !== 'UNKNOWN_TOPIC_OR_PARTITION' && type !== 'LEADER_NOT_AVAILABLE') throw e;
    }
    if (Date.now() > deadline) throw new ConnectionError(`topic ${topic}: no leader for every partition within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Records per `producer.send()` of the raw Kafka baselines. */
export const KAFKA_BATCH_RECORDS = 500;

class KafkaBaseline implements BenchDriver {
  private readonly producers = new Set<Producer>();
  private readonly consumers = new Set<Consumer>();

  constructor(
    private readonly kafka: Kafka,
    readonly target: string,
    readonly name: string,
    private readonly maxRequestBytes = Number.POSITIVE_INFINITY,
  ) {}

  async createTopic(topic: string, partitions: number): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: false });
      await waitForLeaders(admin, topic, partitions);
    } finally {
      await admin.disconnect();
    }
  }

  async createProducer(topic: string): Promise<BenchProducer> {
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    this.producers.add(producer);
    const batcher = new RecordBatcher<Message>(
      async (messages) => {
        await producer.send({ topic, acks: -1, messages });
      },
      { maxRecords: KAFKA_BATCH_RECORDS, maxBytes: this.maxRequestBytes, maxInFlight: 1 },
      (m) => (m.value as Buffer).byteLength + 64,
    );
    return {
      send: (key, value, headers) =>
        batcher.add({ key: key ?? null, value: Buffer.from(value.buffer, value.byteOffset, value.byteLength), headers }),
      close: async () => {
        await batcher.flush();
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
  return new KafkaBaseline(kafka, 'kafka', 'raw-kafkajs');
}

/**
 * Opens raw kafkajs on Event Hubs' Kafka endpoint named by
 * `eventhubs+kafka://host:port?connectionString=file:/path|env:VAR[&caFile=/ca.pem]` (an explicit `host:port`, as
 * a local peer or a private endpoint gives) or `eventhubs+kafka://<namespace>` (port 9093).
 * @throws `ConfigError` naming `connectionString` or `caFile` when they are missing or unreadable (never echoing the secret).
 */
export async function openEventHubsKafkaBaseline(uri: ParsedUri): Promise<BenchDriver> {
  const loc = decodeURIComponent(uri.location).replace(/\/+$/, '');
  const host = /:\d{1,5}$/.test(loc) ? loc : `${loc.includes('.') ? loc : `${loc}.servicebus.windows.net`}:9093`;
  const brokers = parseHostList(host, 'stream');
  const ref = uri.params.get('connectionString');
  if (!ref) {
    throw new ConfigError('connectionString: eventhubs+kafka:// needs ?connectionString=file:/path or env:VAR', {
      field: 'connectionString',
    });
  }
  const password = await readSecretRef(ref, 'connectionString');
  const caFile = uri.params.get('caFile');
  let ca: string | undefined;
  if (caFile) {
    try {
      ca = await readFile(caFile, 'utf8');
    } catch (e) {
      throw new ConfigError(`caFile: cannot read ${caFile}`, { field: 'caFile', cause: e });
    }
  }
  const config: KafkaConfig = {
    clientId: 'speedlayer-bench-raw',
    brokers,
    ssl: ca ? { ca: [ca] } : true,
    sasl: { mechanism: 'plain', username: '$ConnectionString', password },
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 300 },
    requestTimeout: 60_000,
  };
  // Event Hubs closes a produce request of 1,046,528 bytes or more; Microsoft recommends max.request.size 1,000,000.
  return new KafkaBaseline(new Kafka(config), 'azure-eventhubs-aks', 'raw-kafkajs-eventhubs', 900_000);
}
