/**
 * The LMDB log stores record batches (one value of frames per partition per group commit, not one key per record):
 * the data file stays close to the payload, reads start anywhere inside a batch, retention drops whole batches
 * once every record of them is past the low watermark, logs written one key per record still read, and an ack
 * means the record survives `kill -9` (a process crash: it catches an ack given before the commit; the fsync before
 * the ack, against power loss, is LMDB's commit with `noSync` off and is not simulated here).
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { utf8 } from '@speedlayer/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalLog, LocalStreamClient } from '../src/index.js';
import { driver, tempDir, unique } from './support.js';

const clients: LocalStreamClient[] = [];
async function open(dir = tempDir()): Promise<{ client: LocalStreamClient; log: LocalLog; dir: string }> {
  const client = await driver(`local://${dir}`);
  clients.push(client);
  return { client, log: client.log as LocalLog, dir };
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

describe('local/batches', () => {
  it('keeps the data file close to the payload (it was 2x: one half-filled B-tree leaf per record)', async () => {
    const { client, dir } = await open();
    const topic = unique('t');
    await client.admin.ensureTopic(topic, { partitions: 4 });
    const producer = client.producer();
    const value = new Uint8Array(1024).fill(0x61);
    const n = 20_000;
    for (let i = 0; i < n; i += 500) {
      await producer.send(
        topic,
        Array.from({ length: 500 }, (_, j) => ({ key: `k${(i + j) % 1024}`, value })),
      );
    }
    await client.close();
    const payload = n * 1024;
    const file = statSync(join(dir, 'data.mdb')).size;
    expect(file / payload).toBeLessThan(1.25);
  });

  it('writes the sends of one group commit as a few batches per partition, with contiguous positions', async () => {
    const { client, log } = await open();
    const topic = unique('t');
    await client.admin.ensureTopic(topic, { partitions: 1 });
    const producer = client.producer();
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => producer.send(topic, { value: `v${i}` })));
    const positions = results.map((r) => Number(r[0]?.position)).sort((a, b) => a - b);
    expect(positions).toEqual(Array.from({ length: 500 }, (_, i) => i));
    const keys = [...log.batches.getKeys({ start: [topic], end: [topic, '\uffff'] })];
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.length).toBeLessThan(20);
    // each send's value is at its own position
    for (const [i, r] of results.entries()) {
      expect(utf8(log.read(topic, 0, Number(r[0]?.position), 1)[0]?.msg.v as Uint8Array)).toBe(`v${i}`);
    }
  });

  it('reads from anywhere inside a batch, bounded by count and bytes', async () => {
    const { client, log } = await open();
    const topic = unique('t');
    await client.admin.ensureTopic(topic, { partitions: 1 });
    await client.producer().send(
      topic,
      Array.from({ length: 1000 }, (_, i) => ({ value: `m${i}` })),
    );
    expect(log.read(topic, 0, 250, 10).map((r) => r.offset)).toEqual(Array.from({ length: 10 }, (_, i) => 250 + i));
    expect(utf8(log.read(topic, 0, 999, 10)[0]?.msg.v as Uint8Array)).toBe('m999');
    expect(log.read(topic, 0, 1000, 10)).toEqual([]);
    // each record holds 4 bytes here: at most 3 fit in 12 bytes
    expect(log.read(topic, 0, 500, 100, 12)).toHaveLength(3);
  });

  it('retention moves the low watermark inside a batch and drops a batch once all of it is below', async () => {
    const { client, log } = await open();
    const topic = unique('t');
    await client.admin.ensureTopic(topic, { partitions: 1, retentionHours: 1 });
    const producer = client.producer();
    const old = Date.now() - 2 * 3_600_000;
    await producer.send(
      topic,
      Array.from({ length: 100 }, (_, i) => ({ value: `old${i}`, timestamp: old })),
    );
    await producer.send(topic, [{ value: 'new', timestamp: Date.now() }]);
    const batchKeys = () => [...log.batches.getKeys({ start: [topic], end: [topic, '\uffff'] })].length;
    expect(batchKeys()).toBe(2);
    expect(await log.trim(topic, { budget: 60 })).toBe(60);
    expect(log.lowWatermark(topic, 0)).toBe(60);
    expect(batchKeys()).toBe(2); // 40 records of the first batch are still retained
    expect(log.read(topic, 0, 0, 1)[0]?.offset).toBe(60);
    expect(await log.trim(topic)).toBe(40);
    expect(batchKeys()).toBe(1);
    expect(log.read(topic, 0, 0, 10).map((r) => utf8(r.msg.v))).toEqual(['new']);
    expect(log.partitionBytes(topic, 0)).toBe(3);
  });

  it('reads and trims a log written one key per record (before record batches), then appends after it', async () => {
    const dir = tempDir();
    const topic = unique('t');
    {
      const { client, log } = await open(dir);
      await client.admin.ensureTopic(topic, { partitions: 1, retentionHours: 1 });
      // the earlier format: ['m', topic, p, offset] -> [key, value, headers, timestamp, crc32]
      const ts = Date.now() - 2 * 3_600_000;
      await log.db.transaction(() => {
        for (let i = 0; i < 5; i++) {
          const v = Buffer.from(`legacy${i}`);
          const c = crc32(`kk${i}\u0000${ts}`, crc32(v));
          log.db.putSync(['m', topic, 0, i], [`k${i}`, v, null, ts, c]);
        }
        log.db.putSync(['hw', topic, 0], 5);
        log.db.putSync(['sz', topic, 0], 5 * 9);
      });
      await client.close();
    }
    const { client, log } = await open(dir);
    const [meta] = await client.producer().send(topic, [{ key: 'n', value: 'batched' }]);
    expect(meta?.position).toBe('5');
    const all = log.read(topic, 0, 0, 100);
    expect(all.map((r) => utf8(r.msg.v))).toEqual(['legacy0', 'legacy1', 'legacy2', 'legacy3', 'legacy4']);
    expect(log.read(topic, 0, 5, 100).map((r) => utf8(r.msg.v))).toEqual(['batched']);
    expect(log.read(topic, 0, 3, 100).map((r) => r.offset)).toEqual([3, 4]);
    expect(await log.trim(topic)).toBe(5);
    expect(log.lowWatermark(topic, 0)).toBe(5);
    expect([...log.db.getKeys({ start: ['m', topic], end: ['m', topic, '\uffff'] })]).toEqual([]);
    expect(log.read(topic, 0, 0, 100).map((r) => utf8(r.msg.v))).toEqual(['batched']);
  });
});

describe('local/batches/crash', () => {
  it('every send acknowledged before kill -9 is in the log after it (group commit acks only durable records)', async () => {
    const dir = tempDir();
    const topic = unique('t');
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    // a producer process: 256 concurrent one-record sends through the portable client, one line per ack
    const code = `
      import { connect } from '@speedlayer/core';
      const client = await connect(${JSON.stringify(`local://${dir}`)});
      await client.admin.ensureTopic(${JSON.stringify(topic)}, { partitions: 4 });
      const producer = client.producer();
      let next = 0;
      const worker = async () => {
        for (;;) {
          const i = next++;
          const [m] = await producer.send(${JSON.stringify(topic)}, { key: 'k' + (i % 50), value: 'v' + i });
          process.stdout.write(i + ' ' + m.partition + ' ' + m.position + '\\n');
        }
      };
      await Promise.all(Array.from({ length: 256 }, worker));
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const acked = await new Promise<string[]>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.split('\n').length > 5000 && child.exitCode === null) child.kill('SIGKILL');
      });
      // whole lines only: the last one may have been cut by the kill
      child.on('exit', () =>
        resolve(
          out
            .slice(0, out.lastIndexOf('\n'))
            .split('\n')
            .filter((l) => /^\d+ \d+ \d+$/.test(l)),
        ),
      );
      child.on('error', reject);
      setTimeout(() => child.kill('SIGKILL'), 60_000).unref();
    });
    expect(acked.length, err).toBeGreaterThan(5000);
    const { log } = await open(dir);
    const seen = new Set<string>();
    for (const line of acked) {
      const [i, p, pos] = line.split(' ').map(Number) as [number, number, number];
      seen.add(`${p}@${pos}`);
      const [row] = log.read(topic, p, pos, 1);
      expect(row?.offset).toBe(pos);
      expect(utf8(row?.msg.v as Uint8Array)).toBe(`v${i}`);
    }
    expect(seen.size).toBe(acked.length);
  }, 90_000);
});
