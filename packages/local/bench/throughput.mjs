#!/usr/bin/env node
/**
 * Throughput of the embedded target, measured side by side in one run (`npm run bench -w @speedlayer/local`):
 *
 * - durable `local://` batched sends of 500 records of 1 KB, through the portable client (`connect()`);
 * - one-record sends from 64, 256 and 1024 concurrent callers through the same client (the portable batcher
 *   coalesces them) and straight into the local driver (the store's group commit alone), as ratios of batched;
 * - `memory://` batched sends, and a consumer draining a backlog.
 *
 * Figures depend on the machine (its fsync latency above all); ratios measured in the same run are what compare.
 * Options: `--records N` (per scenario, default 200000), `--json` (one JSON object on stdout).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { connect, parseUri } from '@speedlayer/core';
import { createLocalStreamClient } from '@speedlayer/local';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
};
const RECORDS = arg('records', 200_000);
const ONE_RECORD = arg('one-record', Math.min(RECORDS, 100_000));
const VALUE = new Uint8Array(1024).fill(0x61);
const PARTITIONS = 8;

const rssMb = () => Math.round(process.memoryUsage().rss / 1024 / 1024);
// RSS counts the pages of the memory-mapped log; the JS heap is what prefetch and batching hold
const heapMb = () => Math.round(process.memoryUsage().heapUsed / 1024 / 1024);

async function timed(fn) {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** `n` records in batches of `batch`, `inFlight` batches at a time. */
async function batched(producer, topic, n, batch, inFlight) {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const from = next;
      if (from >= n) return;
      next += batch;
      const records = [];
      for (let i = from; i < Math.min(n, from + batch); i++) records.push({ key: `k${i % 1024}`, value: VALUE });
      await producer.send(topic, records);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

/** `n` one-record sends from `callers` concurrent callers, each awaiting its ack before the next. */
async function oneRecord(producer, topic, n, callers) {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      await producer.send(topic, { key: `k${i % 1024}`, value: VALUE });
    }
  };
  await Promise.all(Array.from({ length: callers }, worker));
}

const results = [];
function record(scenario, n, seconds, extra = {}) {
  const row = {
    scenario,
    records: n,
    seconds: Number(seconds.toFixed(3)),
    msgPerSec: Math.round(n / seconds),
    rssMb: rssMb(),
    heapMb: heapMb(),
    ...extra,
  };
  results.push(row);
  if (!args.includes('--json')) {
    process.stderr.write(
      `${scenario.padEnd(58)} ${String(row.msgPerSec).padStart(9)} msg/s  ${row.seconds}s  heap ${row.heapMb} MB${row.maxLoopDelayMs !== undefined ? `  max event-loop delay ${row.maxLoopDelayMs} ms` : ''}\n`,
    );
  }
  return row;
}

const dir = mkdtempSync(join(tmpdir(), 'speedlayer-local-bench-'));
try {
  const uri = `local://${dir}`;
  const client = await connect(uri);
  const topicOf = async (name) => {
    const topic = `${name}-${Date.now().toString(36)}`;
    await client.admin.ensureTopic(topic, { partitions: PARTITIONS });
    return topic;
  };
  const producer = client.producer();

  // warm-up (page cache, lmdb write thread)
  await batched(producer, await topicOf('warm'), 20_000, 500, 4);

  const b1 = record(
    'local:// durable, batches of 500, 1 in flight',
    RECORDS,
    await timed(async () => batched(producer, await topicOf('b1'), RECORDS, 500, 1)),
  );
  const b4 = record(
    'local:// durable, batches of 500, 4 in flight',
    RECORDS,
    await timed(async () => batched(producer, await topicOf('b4'), RECORDS, 500, 4)),
  );
  const batchedBest = Math.max(b1.msgPerSec, b4.msgPerSec);

  const ones = [];
  for (const callers of [64, 256, 1024]) {
    const topic = await topicOf(`one${callers}`);
    const row = record(
      `local:// durable, 1-record sends, ${callers} callers (portable)`,
      ONE_RECORD,
      await timed(() => oneRecord(producer, topic, ONE_RECORD, callers)),
    );
    row.ratioToBatched = Number((row.msgPerSec / batchedBest).toFixed(2));
    ones.push(row);
  }

  // the driver alone: concurrent one-record sends meet only the store's group commit
  const driver = await createLocalStreamClient(parseUri(uri));
  const dp = driver.producer();
  for (const callers of [64, 1024]) {
    const topic = await topicOf(`drv${callers}`);
    const row = record(
      `local:// durable, 1-record sends, ${callers} callers (driver only)`,
      ONE_RECORD,
      await timed(() => oneRecord(dp, topic, ONE_RECORD, callers)),
    );
    row.ratioToBatched = Number((row.msgPerSec / batchedBest).toFixed(2));
    ones.push(row);
  }
  await driver.close();

  // consume: a backlog drained by a synchronous handler
  const backlogTopic = await topicOf('drain');
  await batched(producer, backlogTopic, RECORDS, 500, 4);
  let handled = 0;
  let done;
  const finished = new Promise((r) => {
    done = r;
  });
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const drainSeconds = await timed(async () => {
    const sub = await client.subscribe({ topic: backlogTopic, group: 'bench' }, () => {
      if (++handled === RECORDS) done();
    });
    await finished;
    await sub.close();
  });
  delay.disable();
  record('local:// consume a backlog (sync handler)', RECORDS, drainSeconds, { maxLoopDelayMs: Math.round(delay.max / 1e6) });
  await producer.close();
  await client.close();
  const diskMb = Math.round(statSync(join(dir, 'data.mdb')).size / 1024 / 1024);

  // memory:// (no fsync)
  const mem = await connect(`memory://bench-${process.pid}`);
  await mem.admin.ensureTopic('m', { partitions: PARTITIONS });
  const mp = mem.producer();
  await batched(mp, 'm', 20_000, 500, 4);
  const m = record('memory:// batches of 500, 4 in flight', RECORDS, await timed(() => batched(mp, 'm', RECORDS, 500, 4)));
  await mem.admin.ensureTopic('m1', { partitions: PARTITIONS });
  const m1 = record(
    'memory:// 1-record sends, 1024 callers (portable)',
    ONE_RECORD,
    await timed(() => oneRecord(mp, 'm1', ONE_RECORD, 1024)),
  );
  await mp.close();
  await mem.close();

  const summary = {
    node: process.version,
    recordBytes: VALUE.byteLength,
    partitions: PARTITIONS,
    durableBatchedMsgPerSec: batchedBest,
    oneRecordToBatched: Object.fromEntries(ones.map((r) => [r.scenario, r.ratioToBatched])),
    memoryBatchedMsgPerSec: m.msgPerSec,
    memoryOneRecordMsgPerSec: m1.msgPerSec,
    diskMbAfterRun: diskMb,
    results,
  };
  if (args.includes('--json')) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    process.stderr.write(`\ndurable batched best: ${batchedBest} msg/s of 1 KB; memory:// batched: ${m.msgPerSec} msg/s\n`);
    for (const r of ones) process.stderr.write(`  ${r.scenario}: ${r.ratioToBatched}x of batched\n`);
    process.stderr.write(`data file after the run: ${diskMb} MB\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
