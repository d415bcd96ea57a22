/**
 * Low-rate publish latency (not a test): one record every 1000/RATE ms (open loop: a send does not wait for the
 * previous one), each awaited until acknowledged (acks=all, idempotent, one request in flight), through speedlayer
 * and raw kafkajs, interleaved over ROUNDS rounds. Prints p50/p99/max per round and the medians.
 *
 *   npx tsc -p adapters/aws-msk-eks/bench/tsconfig.json && node adapters/aws-msk-eks/bench/dist/produce-latency.js
 *
 * Environment: RATE (default 50 msg/s), SECONDS per side and round (default 10), ROUNDS (default 5),
 * SPEEDLAYER_BENCH_BROKERS.
 */
import { randomBytes } from 'node:crypto';
import { connect } from '@speedlayer/core';
import { peersStatus } from '@speedlayer/testing/peers';
import { Kafka, logLevel } from 'kafkajs';

const RATE = Number(process.env.RATE ?? 50);
const SECONDS = Number(process.env.SECONDS ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const run = randomBytes(3).toString('hex');

type Send = (i: number) => Promise<unknown>;

async function measure(send: Send): Promise<number[]> {
  const latencies: number[] = [];
  const pending: Array<Promise<unknown>> = [];
  const start = performance.now();
  const total = RATE * SECONDS;
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    // latency from the intended send time, so a late start counts too (no coordinated omission)
    pending.push(send(i).then(() => latencies.push(performance.now() - due)));
  }
  await Promise.all(pending);
  return latencies.sort((a, b) => a - b);
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function main(): Promise<void> {
  const bootstrap = process.env.SPEEDLAYER_BENCH_BROKERS ?? (await peersStatus()).kafka?.bootstrap;
  if (!bootstrap) throw new Error('no Kafka peer is up');
  const kafka = new Kafka({ clientId: 'latency-raw', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const client = await connect(`kafka://${bootstrap}`, { config: { clientId: 'latency-sl' } });
  const topic = `latency-${run}`;
  await client.admin.ensureTopic(topic, { partitions: 2 });
  const value = randomBytes(100);
  const raw = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await raw.connect();
  const sl = client.producer();
  await sl.send(topic, { key: 'warm-up', value });
  await raw.send({ topic, acks: -1, messages: [{ key: 'warm-up', value }] });
  const sides: Record<string, Send> = {
    raw: (i) => raw.send({ topic, acks: -1, messages: [{ key: `k${i % 2}`, value, headers: { n: String(i) } }] }),
    speedlayer: (i) => sl.send(topic, { key: `k${i % 2}`, value, headers: { n: String(i) } }),
  };
  const p50: Record<string, number[]> = { raw: [], speedlayer: [] };
  const p99: Record<string, number[]> = { raw: [], speedlayer: [] };
  console.log(`kafka ${bootstrap}: ${RATE} msg/s for ${SECONDS} s per side, ${ROUNDS} rounds, 100 B, acks=all, idempotent`);
  for (let round = 1; round <= ROUNDS; round++) {
    for (const side of round % 2 ? ['raw', 'speedlayer'] : ['speedlayer', 'raw']) {
      const l = await measure(sides[side] as Send);
      p50[side]?.push(pct(l, 50));
      p99[side]?.push(pct(l, 99));
      console.log(
        `round ${round} ${side}: p50 ${pct(l, 50).toFixed(2)} ms, p99 ${pct(l, 99).toFixed(2)} ms, max ${(l.at(-1) ?? 0).toFixed(2)} ms`,
      );
    }
  }
  console.log(
    `median p50: raw ${median(p50.raw ?? []).toFixed(2)} ms, speedlayer ${median(p50.speedlayer ?? []).toFixed(2)} ms; ` +
      `median p99: raw ${median(p99.raw ?? []).toFixed(2)} ms, speedlayer ${median(p99.speedlayer ?? []).toFixed(2)} ms`,
  );
  await raw.disconnect();
  await sl.close();
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
