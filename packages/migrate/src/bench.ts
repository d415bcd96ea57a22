/**
 * Copy throughput benchmark (not a test): `npm run bench -w @speedlayer/migrate -- [--from <uri>] [--to <uri>]
 * [--messages N] [--keys K] [--partitions P] [--batch-size B]`. Measures on the same two targets, side by side
 * in one run: raw read (a consumer group reading the source), raw write (batched sends of the same messages to
 * the target) and the migration copy; prints the copy rate as a ratio of the slower of the raw two.
 *
 * @packageDocumentation
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect, type ProducerRecord, type StreamClient } from '@speedlayer/core';
import { copyTopic } from './copy.js';
import { applyPlan, planMigration } from './plan.js';
import { CheckpointStore } from './store.js';

const { values } = parseArgs({
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    messages: { type: 'string', default: '20000' },
    keys: { type: 'string', default: '1000' },
    partitions: { type: 'string', default: '4' },
    'batch-size': { type: 'string', default: '100' },
    'value-bytes': { type: 'string', default: '200' },
  },
});
const n = Number(values.messages);
const keys = Number(values.keys);
const partitions = Number(values.partitions);
const batchSize = Number(values['batch-size']);
const tmp = mkdtempSync(join(tmpdir(), 'speedlayer-migrate-bench-'));
const fromUri = values.from ?? `local://${join(tmp, 'from')}`;
const toUri = values.to ?? `local://${join(tmp, 'to')}`;
const run = Date.now().toString(36);
const payload = 'x'.repeat(Number(values['value-bytes']));

function records(): ProducerRecord[] {
  return Array.from({ length: n }, (_, i) => ({ key: `key-${i % keys}`, value: `${i}:${payload}`, headers: { h: String(i) } }));
}

async function timeRead(client: StreamClient, topic: string): Promise<number> {
  let count = 0;
  let resolve!: () => void;
  const all = new Promise<void>((r) => {
    resolve = r;
  });
  const start = performance.now();
  const sub = await client.subscribe({ topic, group: `bench-read-${run}`, startFrom: 'earliest', concurrency: batchSize }, () => {
    if (++count === n) resolve();
  });
  await all;
  const ms = performance.now() - start;
  await sub.close();
  return ms;
}

async function timeWrite(client: StreamClient, topic: string, list: ProducerRecord[]): Promise<number> {
  await client.admin.ensureTopic(topic, { partitions });
  const producer = client.producer();
  const start = performance.now();
  for (let i = 0; i < list.length; i += batchSize) await producer.send(topic, list.slice(i, i + batchSize));
  await producer.flush();
  const ms = performance.now() - start;
  await producer.close();
  return ms;
}

const from = await connect(fromUri);
const to = await connect(toUri);
try {
  const topic = `bench-src-${run}`;
  const list = records();
  await timeWrite(from, topic, list); // fill the source
  const readMs = await timeRead(from, topic);
  const writeMs = await timeWrite(to, `bench-raw-${run}`, list);
  const plan = await planMigration(from, to, { topic, toTopic: `bench-copy-${run}` });
  await applyPlan(to, plan);
  const store = new CheckpointStore(join(tmp, 'store'));
  const start = performance.now();
  const r = await copyTopic(from, to, { plan, store, group: `bench-copy-${run}`, batchSize, idleMs: 1000 });
  const totalMs = performance.now() - start;
  if (r.copied !== n) throw new Error(`copy wrote ${r.copied} of ${n} (${r.stoppedBy})`);
  const rate = (ms: number) => Math.round((n * 1000) / ms);
  const slower = Math.min(rate(readMs), rate(writeMs));
  const result = {
    from: from.target,
    to: to.target,
    messages: n,
    keys,
    partitions,
    batchSize,
    rawReadPerSec: rate(readMs),
    rawWritePerSec: rate(writeMs),
    copyPerSec: rate(r.copyMs),
    copyWithScanPerSec: rate(totalMs),
    ratio: Number((rate(r.copyMs) / slower).toFixed(2)),
    ratioWithScan: Number((rate(totalMs) / slower).toFixed(2)),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await from.close();
  await to.close();
  rmSync(tmp, { recursive: true, force: true });
}
