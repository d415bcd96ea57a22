#!/usr/bin/env node
/**
 * memory:// through two builds of `@speedlayer/core` in one process, old and new interleaved round by round (the
 * order alternates), to compare changes of the portable client (validation, batcher) on a machine shared with other
 * work. Scenarios: batches of 500 records of 1 KB with 4 in flight, and one-record sends from 64 and 1024 callers.
 * Prints, per scenario, the median msg/s and msg per CPU-second (process.cpuUsage, all threads) of each build,
 * their ratios, and every round's rate.
 *
 *   cp -r packages/core/dist node_modules/.core-before   # before the change (inside the repo: it resolves core's deps)
 *   node packages/local/bench/core-ab.mjs --old node_modules/.core-before --new packages/core/dist [--rounds 5] [--fresh]
 *
 * `--fresh` keeps every topic (values land in new memory, as in `npm run bench`); by default each scenario's topic
 * is deleted after it, so later rounds copy into reused memory and the figures isolate the client's own cost.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as local from '@speedlayer/local';
import { batched, oneRecord } from './load.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const ROUNDS = Number(opt('rounds', 3));
const FRESH = args.includes('--fresh');
const builds = { old: opt('old'), new: opt('new', 'packages/core/dist') };
if (!builds.old) {
  process.stderr.write('usage: core-ab.mjs --old <core dist> [--new <core dist>] [--rounds N] [--fresh]\n');
  process.exit(2);
}
const cores = {};
for (const [name, dir] of Object.entries(builds)) {
  cores[name] = await import(pathToFileURL(resolve(dir, 'index.js')).href);
  cores[name].registerStreamTarget('memory', { target: 'memory', module: '@speedlayer/local', factory: local.streamFactory });
}
const scenarios = [
  ['memory:// batches of 500, 4 in flight', 200_000, (p, t, n) => batched(p, t, n, 500, 4)],
  ['memory:// 1-record sends, 64 callers', 100_000, (p, t, n) => oneRecord(p, t, n, 64)],
  ['memory:// 1-record sends, 1024 callers', 100_000, (p, t, n) => oneRecord(p, t, n, 1024)],
];
const results = {};
let seq = 0;
for (let r = 0; r < ROUNDS; r++) {
  for (const build of r % 2 ? ['new', 'old'] : ['old', 'new']) {
    const client = await cores[build].connect(`memory://core-ab-${process.pid}-${seq++}`);
    const producer = client.producer();
    const warm = `warm${seq++}`;
    await client.admin.ensureTopic(warm, { partitions: 8 });
    await batched(producer, warm, 20_000, 500, 4);
    await oneRecord(producer, warm, 20_000, 256);
    await client.admin.deleteTopic(warm);
    for (const [name, n, run] of scenarios) {
      const topic = `t${seq++}`;
      await client.admin.ensureTopic(topic, { partitions: 8 });
      const cpu0 = process.cpuUsage();
      const start = process.hrtime.bigint();
      await run(producer, topic, n);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      results[name] ??= { old: [], new: [] };
      results[name][build].push({ rate: n / seconds, perCpu: n / ((cpu.user + cpu.system) / 1e6) });
      if (!FRESH) await client.admin.deleteTopic(topic);
    }
    await producer.close();
    await client.close();
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const k = (x) => `${Math.round(x / 1000)}k`;
for (const [name, byBuild] of Object.entries(results)) {
  const [o, n] = ['old', 'new'].map((b) => ({
    rate: median(byBuild[b].map((x) => x.rate)),
    perCpu: median(byBuild[b].map((x) => x.perCpu)),
  }));
  console.log(
    `${name}: old ${k(o.rate)} msg/s (${k(o.perCpu)}/CPU-s), new ${k(n.rate)} msg/s (${k(n.perCpu)}/CPU-s): ` +
      `wall x${(n.rate / o.rate).toFixed(2)}, CPU x${(n.perCpu / o.perCpu).toFixed(2)}  ` +
      `[old ${byBuild.old.map((x) => k(x.rate)).join(' ')}; new ${byBuild.new.map((x) => k(x.rate)).join(' ')}]`,
  );
}
