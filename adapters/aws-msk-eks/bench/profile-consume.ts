/**
 * Consume-path profiling aid (not a test, not the benchmark; its raw side commits per batch, awaited, and does not
 * decode headers, unlike overhead.ts): fills one topic once, then reads it repeatedly with a
 * fresh group each time through speedlayer and/or raw kafkajs with the same settings as `overhead.ts`, printing the
 * rate of each read. Run one side under `node --cpu-prof` to see where the time goes:
 *
 *   npx tsc -p adapters/aws-msk-eks/bench/tsconfig.json
 *   SIDE=speedlayer node --cpu-prof --cpu-prof-dir=/tmp/prof adapters/aws-msk-eks/bench/dist/profile-consume.js
 *
 * Environment: SIDE (speedlayer | raw | both, default both), READS (default 4), SPEEDLAYER_BENCH_MESSAGES,
 * SPEEDLAYER_BENCH_BROKERS.
 */
import { randomBytes } from 'node:crypto';
import { connect } from '@speedlayer/core';
import { peersStatus } from '@speedlayer/testing/peers';
import { Kafka, logLevel } from 'kafkajs';

const MESSAGES = Number(process.env.SPEEDLAYER_BENCH_MESSAGES ?? 200_000);
const READS = Number(process.env.READS ?? 4);
const SIDE = process.env.SIDE ?? 'both';
const PARTITIONS = 8;
const MAX_WAIT_MS = 100;
const run = randomBytes(3).toString('hex');

async function main(): Promise<void> {
  const bootstrap = process.env.SPEEDLAYER_BENCH_BROKERS ?? (await peersStatus()).kafka?.bootstrap;
  if (!bootstrap) throw new Error('no Kafka peer is up');
  const kafka = new Kafka({ clientId: 'profile-raw', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const client = await connect(`kafka://${bootstrap}`, { config: { clientId: 'profile-sl', maxWaitTimeMs: MAX_WAIT_MS } });
  const topic = `profile-${run}`;
  await client.admin.ensureTopic(topic, { partitions: PARTITIONS });
  const producer = client.producer();
  const value = randomBytes(256);
  for (let i = 0; i < MESSAGES; i += 500) {
    const records = [];
    for (let j = i; j < Math.min(MESSAGES, i + 500); j++)
      records.push({ key: `key-${j % 1000}`, value, headers: { n: String(j) } });
    await producer.send(topic, records);
  }
  await producer.close();
  const sides = SIDE === 'both' ? ['raw', 'speedlayer'] : [SIDE];
  for (let r = 0; r < READS; r++) {
    for (const side of r % 2 ? [...sides].reverse() : sides) {
      let seen = 0;
      let cpu0: NodeJS.CpuUsage | undefined;
      let cpu: NodeJS.CpuUsage | undefined;
      let first = 0;
      let last = 0;
      let done: () => void = () => {};
      const finished = new Promise<void>((res) => {
        done = res;
      });
      const group = `profile-${side}-${run}-${r}`;
      if (side === 'raw') {
        const consumer = kafka.consumer({
          groupId: group,
          sessionTimeout: 10_000,
          heartbeatInterval: 1000,
          maxBytesPerPartition: 1_048_576,
          maxWaitTimeInMs: MAX_WAIT_MS,
          allowAutoTopicCreation: false,
        });
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        const handler = async (_m: unknown) => {};
        await consumer.run({
          autoCommit: false,
          partitionsConsumedConcurrently: 64,
          eachBatch: async ({ batch }) => {
            if (first === 0) {
              first = performance.now();
              cpu0 = process.cpuUsage();
            }
            for (const m of batch.messages) {
              await handler({ key: m.key?.toString('utf8'), value: m.value, headers: m.headers, offset: m.offset });
              seen++;
            }
            const lastOffset = batch.messages[batch.messages.length - 1]?.offset;
            if (lastOffset !== undefined) {
              await consumer.commitOffsets([{ topic, partition: batch.partition, offset: (BigInt(lastOffset) + 1n).toString() }]);
            }
            if (seen >= MESSAGES) {
              last = performance.now();
              cpu = process.cpuUsage(cpu0);
              done();
            }
          },
        });
        await finished;
        await consumer.disconnect();
      } else {
        const sub = await client.subscribe({ topic, group, sessionTimeoutMs: 10_000 }, () => {
          if (first === 0) {
            first = performance.now();
            cpu0 = process.cpuUsage();
          }
          if (++seen >= MESSAGES) {
            last = performance.now();
            cpu = process.cpuUsage(cpu0);
            done();
          }
        });
        await finished;
        await sub.close();
      }
      console.log(
        `${side} read ${r}: ${(MESSAGES / ((last - first) / 1000)).toFixed(0)} msg/s in ${(last - first).toFixed(0)} ms, CPU ${(((cpu?.user ?? 0) + (cpu?.system ?? 0)) / MESSAGES).toFixed(2)} µs/msg`,
      );
    }
  }
  await client.admin.deleteTopic(topic);
  await client.close();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
