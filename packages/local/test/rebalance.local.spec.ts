/**
 * The duplicates storm, with real worker processes: a second worker joining a group that drains a large backlog
 * must get its partitions by handover (the first commits and releases them), not by waiting for leases that
 * expire under a starved event loop — which redelivered nearly the whole backlog.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { recordingHandlerPath, workerMainPath } from '@speedlayer/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { driver, tempDir, unique, waitUntil } from './support.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

describe('local/consume/rebalance (processes)', () => {
  it('a second worker joining a 120k backlog takes over partitions with few duplicates', async () => {
    const dir = tempDir();
    const uri = `local://${dir}`;
    const topic = unique('storm');
    const client = await driver(uri);
    await client.admin.ensureTopic(topic, { partitions: 4 });
    const total = 120_000;
    const producer = client.producer();
    for (let i = 0; i < total; i += 1000) {
      await producer.send(
        topic,
        Array.from({ length: 1000 }, (_, j) => ({ key: `k${(i + j) % 97}`, value: String(i + j) })),
      );
    }
    await client.close();

    const record = join(dir, 'received.jsonl');
    const options = { stream: uri, topic, group: 'storm', handler: recordingHandlerPath(), sessionTimeoutMs: 2000 };
    const start = (id: string) => {
      const child = spawn(process.execPath, [workerMainPath(), JSON.stringify(options)], {
        env: { ...process.env, SPEEDLAYER_RECORD_FILE: record, SPEEDLAYER_WORKER_ID: id },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      children.push(child);
      return child;
    };
    const lines = () =>
      existsSync(record)
        ? readFileSync(record, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as { member: string; value: string })
        : [];

    const count = () => (existsSync(record) ? readFileSync(record).reduce((n, byte) => (byte === 10 ? n + 1 : n), 0) : 0);
    const a = start('a');
    await waitUntil(() => count() > 0, 'worker a to be draining', 60_000);
    const b = start('b');
    await waitUntil(
      () => count() >= total && new Set(lines().map((l) => l.value)).size === total,
      'every message handled',
      120_000,
      250,
    );
    for (const c of [a, b]) c.kill('SIGTERM');
    await Promise.all([a, b].map((c) => new Promise((r) => (c.exitCode === null ? c.once('exit', r) : r(null)))));

    const seen = lines();
    const byB = seen.filter((l) => l.member === 'b').length;
    const duplicates = seen.length - new Set(seen.map((l) => l.value)).size;
    const summary = `b handled ${byB}, ${duplicates} duplicates of ${total}`;
    expect(byB, summary).toBeGreaterThan(0);
    // the storm redelivered ~100% (399,996 of 400,000); a handover redelivers at most what was in flight
    expect(duplicates, summary).toBeLessThan(total * 0.02);
  });
});
