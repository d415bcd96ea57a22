#!/usr/bin/env node
/**
 * Throughput of the embedded target, measured side by side in one run (`npm run bench -w @speedlayer/local`):
 *
 * - durable `local://` batched sends of 500 records of 1 KB through the portable client (`connect()`), with 4 and 16
 *   batches in flight;
 * - one-record sends from 64, 256 and 1024 concurrent callers through the same client (the portable batcher
 *   coalesces them) and straight into the local driver (the store's group commit alone), as ratios of batched;
 * - `memory://` (the in-memory engine) batched, and one-record sends from 64, 256 and 1024 callers as ratios of it;
 * - a consumer draining a backlog, and the size of the data file against the bytes of the records written.
 *
 * Every scenario reports wall-clock msg/s and msg per CPU-second of this process (all threads: the main thread and
 * LMDB's write thread), which moves less than wall time on a machine shared with other work, and its kernel (sys)
 * time: for `memory://` mostly the page faults of copying values into new memory, whose cost per fault was seen to
 * vary up to 8x between runs on a VM (the same 200 MB of values took 0.09 s or 0.73 s of sys time).
 * Figures depend on the machine (its fsync latency above all); ratios measured in the same run are what compare.
 * Options: `--records N` (per batched scenario, default 200000), `--one-record N` (default 100000), `--repeat N`
 * (rounds, default 1; the summary gives each scenario's median), `--json` (one JSON object on stdout),
 * `--engine <dir>` (another build of this package's `dist`, e.g. of an earlier commit, to compare before/after).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { connect, parseUri, registerStreamTarget } from '@speedlayer/core';
import * as thisBuild from '@speedlayer/local';
import { batched, keyOf, oneRecord, VALUE } from './load.mjs';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
};
const RECORDS = arg('records', 200_000);
const ONE_RECORD = arg('one-record', Math.min(RECORDS, 100_000));
const REPEAT = arg('repeat', 1);
const JSON_OUT = args.includes('--json');
const engineAt = args.indexOf('--engine') >= 0 ? args[args.indexOf('--engine') + 1] : undefined;
const engine = engineAt ? await import(pathToFileURL(resolve(engineAt, 'index.js')).href) : thisBuild;
const { createLocalStreamClient } = engine;
if (engineAt) {
  for (const scheme of ['local', 'memory']) {
    registerStreamTarget(scheme, { target: scheme, module: '@speedlayer/local', factory: engine.streamFactory });
  }
}
const PARTITIONS = 8;

const heapMb = () => Math.round(process.memoryUsage().heapUsed / 1024 / 1024);
const say = (text) => {
  if (!JSON_OUT) process.stderr.write(text);
};

/** Runs `fn`, returning wall seconds and CPU seconds of this process. */
async function timed(fn) {
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  await fn();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, sysSeconds: cpu.system / 1e6 };
}

/** Bytes of the records of `n` sends as the log counts them (key and value). */
function payloadBytes(n) {
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes += VALUE.byteLength + Buffer.byteLength(keyOf(i));
  return bytes;
}

/** One round of every scenario; returns its rows by scenario name, plus the data file and payload sizes. */
async function round() {
  const rows = new Map();
  const row = (scenario, n, time, extra = {}) => {
    const r = {
      scenario,
      records: n,
      seconds: Number(time.seconds.toFixed(3)),
      msgPerSec: Math.round(n / time.seconds),
      msgPerCpuSec: Math.round(n / time.cpuSeconds),
      // kernel time: mostly page faults for memory://, whose cost per fault varies several-fold on a VM
      sysSeconds: Number(time.sysSeconds.toFixed(3)),
      heapMb: heapMb(),
      ...extra,
    };
    rows.set(scenario, r);
    say(
      `${scenario.padEnd(56)} ${String(r.msgPerSec).padStart(9)} msg/s ${String(r.msgPerCpuSec).padStart(9)} msg/CPU-s  ${r.seconds}s (sys ${r.sysSeconds}s)${r.maxLoopDelayMs !== undefined ? `  max event-loop delay ${r.maxLoopDelayMs} ms` : ''}\n`,
    );
    return r;
  };
  const dir = mkdtempSync(join(tmpdir(), 'speedlayer-local-bench-'));
  let written = 0;
  try {
    const uri = `local://${dir}`;
    const client = await connect(uri);
    const topicOf = async (c, name) => {
      const topic = `${name}-${Date.now().toString(36)}`;
      await c.admin.ensureTopic(topic, { partitions: PARTITIONS });
      return topic;
    };
    const producer = client.producer();
    const sent = (n) => {
      written += payloadBytes(n);
      return n;
    };

    // warm-up (page cache, lmdb write thread)
    await batched(producer, await topicOf(client, 'warm'), sent(20_000), 500, 4);
    for (const inFlight of [4, 16]) {
      const topic = await topicOf(client, `b${inFlight}`);
      row(
        `local:// durable, batches of 500, ${inFlight} in flight`,
        sent(RECORDS),
        await timed(() => batched(producer, topic, RECORDS, 500, inFlight)),
      );
    }
    for (const callers of [64, 256, 1024]) {
      const topic = await topicOf(client, `one${callers}`);
      row(
        `local:// durable, 1-record sends, ${callers} callers (portable)`,
        sent(ONE_RECORD),
        await timed(() => oneRecord(producer, topic, ONE_RECORD, callers)),
      );
    }
    // the driver alone: concurrent one-record sends meet only the store's group commit
    const driver = await createLocalStreamClient(parseUri(uri));
    const dp = driver.producer();
    for (const callers of [64, 1024]) {
      const topic = await topicOf(client, `drv${callers}`);
      row(
        `local:// durable, 1-record sends, ${callers} callers (driver only)`,
        sent(ONE_RECORD),
        await timed(() => oneRecord(dp, topic, ONE_RECORD, callers)),
      );
    }
    // the floor under one-record sends: one caller's durable round trip (append, group commit, fsync, ack). N callers
    // who each await their ack reach at most N records per round trip, whatever the batcher does
    const latTopic = await topicOf(client, 'lat');
    const lat = [];
    for (let i = 0; i < 400; i++) {
      const t0 = process.hrtime.bigint();
      await dp.send(latTopic, { key: keyOf(i), value: VALUE });
      lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
      written += VALUE.byteLength + Buffer.byteLength(keyOf(i));
    }
    lat.sort((a, b) => a - b);
    const p50 = lat[200];
    const p90 = lat[360];
    rows.set('latency', { p50, p90 });
    say(`local:// durable, one caller's send round trip: p50 ${p50.toFixed(2)} ms, p90 ${p90.toFixed(2)} ms\n`);
    await driver.close();

    // consume: a backlog drained by a synchronous handler
    const backlogTopic = await topicOf(client, 'drain');
    await batched(producer, backlogTopic, sent(RECORDS), 500, 4);
    let handled = 0;
    let done;
    const finished = new Promise((r) => {
      done = r;
    });
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const drain = await timed(async () => {
      const sub = await client.subscribe({ topic: backlogTopic, group: 'bench' }, () => {
        if (++handled === RECORDS) done();
      });
      await finished;
      await sub.close();
    });
    delay.disable();
    row('local:// consume a backlog (sync handler)', RECORDS, drain, { maxLoopDelayMs: Math.round(delay.max / 1e6) });
    await producer.close();
    await client.close();
    const fileBytes = statSync(join(dir, 'data.mdb')).size;
    // each engine is measured without the other's leftovers: the durable log's files (and their page cache) go first
    rmSync(dir, { recursive: true, force: true });

    // memory:// (the in-memory engine)
    const mem = await connect(`memory://bench-${process.pid}-${Date.now()}`);
    const mp = mem.producer();
    const memTopics = [];
    const memTopic = async (name) => {
      memTopics.push(await topicOf(mem, name));
      return memTopics.at(-1);
    };
    await batched(mp, await memTopic('mwarm'), 20_000, 500, 4);
    const mTopic = await memTopic('m');
    row('memory:// batches of 500, 4 in flight', RECORDS, await timed(() => batched(mp, mTopic, RECORDS, 500, 4)));
    for (const callers of [64, 256, 1024]) {
      const topic = await memTopic(`m1-${callers}`);
      row(
        `memory:// 1-record sends, ${callers} callers (portable)`,
        ONE_RECORD,
        await timed(() => oneRecord(mp, topic, ONE_RECORD, callers)),
      );
    }
    await mp.close();
    // a memory:// log lives as long as the process: its topics are deleted, so a round leaves nothing to the next
    for (const topic of memTopics) await mem.admin.deleteTopic(topic);
    await mem.close();
    return { rows, fileBytes, payloadBytes: written };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : Math.round((s[s.length / 2 - 1] + s[s.length / 2]) / 2);
};

const rounds = [];
for (let i = 0; i < REPEAT; i++) {
  say(`round ${i + 1} of ${REPEAT}\n`);
  rounds.push(await round());
}
const names = [...rounds[0].rows.keys()].filter((name) => name !== 'latency');
/** The median of per-round figures, to `digits` decimals (ratios are taken per round: both sides from one round). */
const medianOf = (xs, digits = 2) => Number((median(xs.map((x) => Math.round(x * 1000))) / 1000).toFixed(digits));
const roundTripMs = medianOf(
  rounds.map((r) => r.rows.get('latency').p50),
  3,
);
/** What N callers who await their acks can reach at most, as a ratio of batched: N records per round trip. */
const boundOf = (callers) =>
  medianOf(rounds.map((r) => (callers * 1000) / r.rows.get('latency').p50 / r.rows.get(localBest).msgPerSec));
const med = Object.fromEntries(
  names.map((name) => [
    name,
    {
      msgPerSec: median(rounds.map((r) => r.rows.get(name).msgPerSec)),
      msgPerCpuSec: median(rounds.map((r) => r.rows.get(name).msgPerCpuSec)),
      runs: rounds.map((r) => r.rows.get(name).msgPerSec),
    },
  ]),
);
const ratioOf = (name, base) => {
  return medianOf(rounds.map((r) => r.rows.get(name).msgPerSec / r.rows.get(base).msgPerSec));
};
const bestBatched = (r) =>
  Math.max(
    r.rows.get('local:// durable, batches of 500, 4 in flight').msgPerSec,
    r.rows.get('local:// durable, batches of 500, 16 in flight').msgPerSec,
  );
const localBest = 'local:// durable, batches of 500, 4 in flight';
const memBatched = 'memory:// batches of 500, 4 in flight';
const ratios = {};
for (const name of names) {
  if (name.startsWith('local:// durable, 1-record')) ratios[name] = ratioOf(name, localBest);
  if (name.startsWith('memory:// 1-record')) ratios[name] = ratioOf(name, memBatched);
}
const diskRatios = rounds.map((r) => r.fileBytes / r.payloadBytes);
const summary = {
  node: process.version,
  recordBytes: VALUE.byteLength,
  partitions: PARTITIONS,
  rounds: REPEAT,
  durableBatchedMsgPerSec: median(rounds.map(bestBatched)),
  memoryBatchedMsgPerSec: med[memBatched].msgPerSec,
  memoryToDurableBatched: ratioOf(memBatched, localBest),
  oneRecordToBatched: ratios,
  sendRoundTripP50Ms: roundTripMs,
  oneRecordBoundToBatched: { 64: boundOf(64), 256: boundOf(256) },
  dataFileMb: Math.round(median(rounds.map((r) => r.fileBytes)) / 1048576),
  payloadMb: Math.round(median(rounds.map((r) => r.payloadBytes)) / 1048576),
  dataFileToPayload: medianOf(diskRatios, 3),
  medians: med,
};
if (JSON_OUT) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
else {
  say(`\nmedians of ${REPEAT} round(s) (msg/s wall, msg per CPU-second; runs):\n`);
  for (const name of names) {
    const m = med[name];
    say(
      `  ${name.padEnd(56)} ${String(m.msgPerSec).padStart(9)} ${String(m.msgPerCpuSec).padStart(9)}  [${m.runs.join(', ')}]\n`,
    );
  }
  say(`durable batched (best of 4/16 in flight): ${summary.durableBatchedMsgPerSec} msg/s of 1 KB\n`);
  say(
    `memory:// batched: ${summary.memoryBatchedMsgPerSec} msg/s (${summary.memoryToDurableBatched}x of durable, 4 in flight)\n`,
  );
  for (const [name, ratio] of Object.entries(ratios)) say(`  ${name}: ${ratio}x of batched (same engine, same round)\n`);
  say(
    `one caller's durable round trip ${roundTripMs} ms (p50): callers awaiting their acks can reach at most ${Object.entries(
      summary.oneRecordBoundToBatched,
    )
      .map(([n, x]) => `${x}x with ${n}`)
      .join(', ')} of durable batched\n`,
  );
  say(`data file ${summary.dataFileMb} MB for ${summary.payloadMb} MB of records written: ${summary.dataFileToPayload}x\n`);
}
