/**
 * Overhead benchmark (not a test): produce and consume throughput through speedlayer vs raw kafkajs with the same
 * settings, interleaved in one run over several rounds against the same broker. Prints each round and the median
 * ratios speedlayer / kafkajs (target >= 0.95).
 *
 * What both sides do, so the ratio shows the adapter's own cost:
 * - produce: batches of BATCH records, acks=all, idempotent producer, one request in flight, keys placed by
 *   murmur2 (speedlayer computes the partition itself, kafkajs' default partitioner does the same);
 * - consume: a consumer group with 1 MiB per partition fetches, 100 ms max wait, 64 partitions concurrently; the
 *   handler is awaited per message, serially per partition, and gets the same decoded message (key and header
 *   values as UTF-8 strings, value bytes, offset, timestamp); offsets of handled messages are committed
 *   asynchronously at most every COMMIT_INTERVAL_MS (the raw side: one OffsetCommit of every partition's handled
 *   offset per interval, not awaited by `eachBatch`; speedlayer: its default `commitIntervalMs`, per partition,
 *   never past the contiguous finished prefix).
 *
 *   npm run bench -w @speedlayer/aws-msk-eks            # brokers from `speedlayer peers status` (the Kafka peer)
 *   SPEEDLAYER_BENCH_BROKERS=host:9092 SPEEDLAYER_BENCH_MESSAGES=100000 SPEEDLAYER_BENCH_ROUNDS=5 npm run bench ...
 */
import { randomBytes } from 'node:crypto';
import { connect, type StreamClient } from '@speedlayer/core';
import { peersStatus } from '@speedlayer/testing/peers';
import { Kafka, logLevel } from 'kafkajs';

const MESSAGES = Number(process.env.SPEEDLAYER_BENCH_MESSAGES ?? 100_000);
const ROUNDS = Number(process.env.SPEEDLAYER_BENCH_ROUNDS ?? 5);
const BATCH = Number(process.env.SPEEDLAYER_BENCH_BATCH ?? 500);
const VALUE_BYTES = Number(process.env.SPEEDLAYER_BENCH_VALUE_BYTES ?? 256);
const KEYS = 1000;
const PARTITIONS = 8;
const SESSION_MS = 10_000;
const MAX_WAIT_MS = 100;
const MAX_BYTES_PER_PARTITION = 1_048_576;
/** speedlayer's Kafka default `commitIntervalMs`. */
const COMMIT_INTERVAL_MS = 200;

const value = randomBytes(VALUE_BYTES);
const run = randomBytes(3).toString('hex');

function keyOf(i: number): string {
  return `key-${i % KEYS}`;
}

async function brokers(): Promise<string> {
  if (process.env.SPEEDLAYER_BENCH_BROKERS) return process.env.SPEEDLAYER_BENCH_BROKERS;
  const status = await peersStatus();
  if (!status.kafka) throw new Error('no Kafka peer is up: run `speedlayer peers up kafka` or set SPEEDLAYER_BENCH_BROKERS');
  return status.kafka.bootstrap;
}

async function rawProduce(kafka: Kafka, topic: string): Promise<number> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const start = performance.now();
  for (let i = 0; i < MESSAGES; i += BATCH) {
    const messages = [];
    for (let j = i; j < Math.min(MESSAGES, i + BATCH); j++) messages.push({ key: keyOf(j), value, headers: { n: String(j) } });
    await producer.send({ topic, messages, acks: -1 });
  }
  const ms = performance.now() - start;
  await producer.disconnect();
  return MESSAGES / (ms / 1000);
}

async function speedlayerProduce(client: StreamClient, topic: string): Promise<number> {
  const producer = client.producer();
  // connect outside the timed part, as the raw side does
  await producer.send(topic, [{ key: 'warm-up', value: 'x' }]);
  const start = performance.now();
  for (let i = 0; i < MESSAGES; i += BATCH) {
    const records = [];
    for (let j = i; j < Math.min(MESSAGES, i + BATCH); j++) records.push({ key: keyOf(j), value, headers: { n: String(j) } });
    await producer.send(topic, records);
  }
  const ms = performance.now() - start;
  await producer.close();
  return MESSAGES / (ms / 1000);
}

/** Messages per second from the first message handled to the last. */
async function rawConsume(kafka: Kafka, topic: string, expected: number): Promise<number> {
  const consumer = kafka.consumer({
    groupId: `bench-raw-${run}-${topic}`,
    sessionTimeout: SESSION_MS,
    heartbeatInterval: 1000,
    maxBytesPerPartition: MAX_BYTES_PER_PARTITION,
    maxWaitTimeInMs: MAX_WAIT_MS,
    allowAutoTopicCreation: false,
  });
  let seen = 0;
  let first = 0;
  let last = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => {
    done = r;
  });
  // what an at-least-once kafkajs consumer does per message: decode it, await the handler, serially per partition
  const handler = async (_m: unknown) => {};
  // handled offsets (next to read) per partition, committed on an interval
  const handled = new Map<number, string>();
  const committed = new Map<number, string>();
  const commitHandled = async () => {
    const offsets = [...handled]
      .filter(([p, o]) => committed.get(p) !== o)
      .map(([partition, offset]) => ({ topic, partition, offset }));
    if (offsets.length === 0) return;
    await consumer.commitOffsets(offsets);
    for (const o of offsets) committed.set(o.partition, o.offset);
  };
  const timer = setInterval(() => void commitHandled().catch(() => {}), COMMIT_INTERVAL_MS);
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: 64,
    eachBatch: async ({ batch }) => {
      if (first === 0) first = performance.now();
      for (const m of batch.messages) {
        const headers: Record<string, string> = {};
        for (const k in m.headers) {
          const v = m.headers[k];
          const last = Array.isArray(v) ? v[v.length - 1] : v;
          if (last !== undefined) headers[k] = typeof last === 'string' ? last : last.toString('utf8');
        }
        await handler({
          key: m.key?.toString('utf8') ?? null,
          value: m.value,
          headers,
          offset: m.offset,
          timestamp: Number(m.timestamp),
        });
        seen++;
      }
      const lastOffset = batch.messages[batch.messages.length - 1]?.offset;
      if (lastOffset !== undefined) handled.set(batch.partition, (BigInt(lastOffset) + 1n).toString());
      if (seen >= expected) {
        last = performance.now();
        done();
      }
    },
  });
  await finished;
  clearInterval(timer);
  await commitHandled();
  await finished;
  await consumer.disconnect();
  return expected / ((last - first) / 1000);
}

async function speedlayerConsume(client: StreamClient, topic: string, expected: number): Promise<number> {
  let seen = 0;
  let first = 0;
  let last = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => {
    done = r;
  });
  const sub = await client.subscribe({ topic, group: `bench-sl-${run}-${topic}`, sessionTimeoutMs: SESSION_MS }, () => {
    if (first === 0) first = performance.now();
    seen++;
    if (seen >= expected) {
      last = performance.now();
      done();
    }
  });
  await finished;
  await sub.close();
  return expected / ((last - first) / 1000);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

async function main(): Promise<void> {
  const bootstrap = await brokers();
  const kafka = new Kafka({ clientId: 'bench-raw', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const client = await connect(`kafka://${bootstrap}`, { config: { clientId: 'bench-speedlayer', maxWaitTimeMs: MAX_WAIT_MS } });
  console.log(
    `kafka ${bootstrap}: ${MESSAGES} messages of ${VALUE_BYTES} B, ${KEYS} keys, batch ${BATCH}, acks=all, idempotent, ${PARTITIONS} partitions, ${ROUNDS} rounds`,
  );
  const ratios = { produce: [] as number[], consume: [] as number[] };
  for (let round = 1; round <= ROUNDS; round++) {
    const rawTopic = `bench-raw-${run}-${round}`;
    const slTopic = `bench-sl-${run}-${round}`;
    await client.admin.ensureTopic(rawTopic, { partitions: PARTITIONS });
    await client.admin.ensureTopic(slTopic, { partitions: PARTITIONS });
    // alternate who goes first, so warm-up and broker state do not favour one side
    const rawFirst = round % 2 === 1;
    let rawP = 0;
    let slP = 0;
    if (rawFirst) {
      rawP = await rawProduce(kafka, rawTopic);
      slP = await speedlayerProduce(client, slTopic);
    } else {
      slP = await speedlayerProduce(client, slTopic);
      rawP = await rawProduce(kafka, rawTopic);
    }
    // both consume the same topic (the one speedlayer produced: MESSAGES + 1 warm-up record), each with its own group
    let rawC = 0;
    let slC = 0;
    if (rawFirst) {
      rawC = await rawConsume(kafka, slTopic, MESSAGES + 1);
      slC = await speedlayerConsume(client, slTopic, MESSAGES + 1);
    } else {
      slC = await speedlayerConsume(client, slTopic, MESSAGES + 1);
      rawC = await rawConsume(kafka, slTopic, MESSAGES + 1);
    }
    ratios.produce.push(slP / rawP);
    ratios.consume.push(slC / rawC);
    console.log(
      `round ${round}: produce kafkajs ${rawP.toFixed(0)} msg/s, speedlayer ${slP.toFixed(0)} msg/s (ratio ${(slP / rawP).toFixed(3)}); ` +
        `consume kafkajs ${rawC.toFixed(0)} msg/s, speedlayer ${slC.toFixed(0)} msg/s (ratio ${(slC / rawC).toFixed(3)})`,
    );
    await client.admin.deleteTopic(rawTopic);
    await client.admin.deleteTopic(slTopic);
  }
  const p = median(ratios.produce);
  const c = median(ratios.consume);
  console.log(`median ratio speedlayer/kafkajs: produce ${p.toFixed(3)}, consume ${c.toFixed(3)} (target >= 0.95)`);
  await client.close();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
