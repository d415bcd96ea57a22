#!/usr/bin/env node
/**
 * One scenario of the throughput bench alone, for a CPU profile:
 * `node --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile.mjs <memory-batched|local-batched|memory-one|local-one> [records] [concurrency]`
 * (concurrency: batches in flight, default 4, or one-record callers, default 1024)
 * then `node bench/top.mjs /tmp/prof/<file>.cpuprofile` for the top self-time items.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@speedlayer/core';

const [scenario = 'memory-batched', n = '200000', concurrency] = process.argv.slice(2);
const N = Number(n);
const VALUE = new Uint8Array(1024).fill(0x61);
const dir = mkdtempSync(join(tmpdir(), 'speedlayer-local-prof-'));
const uri = scenario.startsWith('memory') ? `memory://prof-${process.pid}` : `local://${dir}`;
try {
  const client = await connect(uri);
  await client.admin.ensureTopic('t', { partitions: 8 });
  const producer = client.producer();
  const start = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  let next = 0;
  if (scenario.endsWith('batched')) {
    const worker = async () => {
      while (next < N) {
        const from = next;
        next += 500;
        const records = [];
        for (let i = from; i < Math.min(N, from + 500); i++) records.push({ key: `k${i % 1024}`, value: VALUE });
        await producer.send('t', records);
      }
    };
    await Promise.all(Array.from({ length: Number(concurrency ?? 4) }, worker));
  } else {
    const worker = async () => {
      while (next < N) {
        const i = next++;
        await producer.send('t', { key: `k${i % 1024}`, value: VALUE });
      }
    };
    await Promise.all(Array.from({ length: Number(concurrency ?? 1024) }, worker));
  }
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  process.stderr.write(
    `${scenario}: ${Math.round(N / s)} msg/s wall, ${Math.round(N / cpuS)} msg per CPU-second (all threads)\n`,
  );
  await producer.close();
  await client.close();
  if (!scenario.startsWith('memory')) {
    const { statSync } = await import('node:fs');
    process.stderr.write(`data.mdb: ${Math.round(statSync(join(dir, 'data.mdb')).size / 1048576)} MB\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
