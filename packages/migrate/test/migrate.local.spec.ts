/**
 * Migration on the embedded targets: the `speedlayer migrate` binary in child processes (local -> local,
 * killed and resumed), and the library (local -> memory, group move, oversize handling).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ConsumedMessage, connect, type StreamClient, utf8 } from '@speedlayer/core';
import { produceKeyed, uniqueName, waitFor } from '@speedlayer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_HANDLER_ATTEMPTS, migrate, PROVENANCE_HEADER, readTopic } from '../src/index.js';

const bin = fileURLToPath(new URL('../../cli/bin/speedlayer.js', import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), 'speedlayer-migrate-'));
const srcUri = `local://${join(cwd, 'src')}`;
const dstUri = `local://${join(cwd, 'dst')}`;
const IDLE = 600;

function run(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function mapLines(dir: string): number {
  const m = join(dir, 'map');
  if (!existsSync(m)) return 0;
  return readdirSync(m).reduce((n, f) => n + readFileSync(join(m, f), 'utf8').split('\n').filter(Boolean).length, 0);
}

let src: StreamClient;

beforeAll(async () => {
  src = await connect(srcUri);
});
afterAll(async () => {
  await src.close();
});

async function sourceTopic(partitions: number, count: number, keys: number): Promise<{ topic: string; sent: string[] }> {
  const topic = uniqueName('orders');
  await src.admin.ensureTopic(topic, { partitions });
  const sent = await produceKeyed(src, topic, count, keys, { headers: { origin: 'test' } });
  // a few keyless messages too
  const p = src.producer();
  await p.send(topic, [{ value: 'nokey:0' }, { value: 'nokey:1' }, { value: 'nokey:2' }]);
  await p.close();
  return { topic, sent: [...sent, 'nokey:0', 'nokey:1', 'nokey:2'] };
}

describe('migrate/cli: local -> local', () => {
  it('copies with --verify green, exits 0, and a second run resumes with nothing left to copy', async () => {
    const { topic, sent } = await sourceTopic(3, 600, 9);
    const ck = join(cwd, `ck-${topic}`);
    const args = [
      'migrate',
      '--from',
      srcUri,
      '--to',
      dstUri,
      '--topic',
      topic,
      '--checkpoint',
      ck,
      '--verify',
      '--json',
      '--idle-ms',
      String(IDLE),
    ];
    const first = run(args);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const r = JSON.parse(first.stdout);
    expect(r.copy).toMatchObject({ copied: sent.length, total: sent.length, stoppedBy: 'caught-up', unfinished: [] });
    expect(r.verify).toMatchObject({ ok: true, matchedBy: 'provenance', missing: 0, outOfOrder: 0, mismatched: 0, extra: 0 });
    expect(r.verify.source.count).toBe(sent.length);
    expect(r.verify.target.count).toBe(sent.length);
    expect(r.plan.targetPartitions).toBe(3);
    const again = JSON.parse(run(args).stdout);
    expect(again.copy).toMatchObject({ copied: 0, stoppedBy: 'caught-up' });
    expect(again.verify.ok).toBe(true);
    // new source messages not copied yet: --verify-only reports them missing and exits 1
    await produceKeyed(src, topic, 5, 1);
    const stale = run([...args, '--verify-only']);
    expect(stale.code).toBe(1);
    expect(JSON.parse(stale.stdout).verify).toMatchObject({ ok: false, missing: 5 });
    const caughtUp = run(args);
    expect(caughtUp.code).toBe(0);
    expect(JSON.parse(caughtUp.stdout).copy).toMatchObject({ copied: 5 });
  });

  it('--dry-run prints the plan and creates nothing on the target', async () => {
    const { topic } = await sourceTopic(2, 10, 2);
    const r = run(['migrate', '--from', srcUri, '--to', dstUri, '--topic', topic, '--to-topic', `${topic}-copy`, '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/partitions: 2 -> 2 \(target topic will be created\)/);
    expect(r.stdout).toMatch(/not carried over/);
    const dst = await connect(dstUri);
    try {
      expect(await dst.admin.listTopics()).not.toContain(`${topic}-copy`);
    } finally {
      await dst.close();
    }
  });

  it('exits 2 for an unknown target, a missing source topic, a bad --until, and a store of another run', async () => {
    expect(run(['migrate', '--from', srcUri, '--to', 'nosuch://x', '--topic', 't']).code).toBe(2);
    const missing = run(['migrate', '--from', srcUri, '--to', dstUri, '--topic', uniqueName('missing')]);
    expect(missing.code).toBe(2);
    expect(run(['migrate', '--from', srcUri, '--to', dstUri, '--topic', 't', '--until', 'tomorrowish']).code).toBe(2);
    const { topic } = await sourceTopic(1, 5, 1);
    const ck = join(cwd, `ck-shared-${topic}`);
    expect(
      run(['migrate', '--from', srcUri, '--to', dstUri, '--topic', topic, '--checkpoint', ck, '--idle-ms', String(IDLE)]).code,
    ).toBe(0);
    const other = run([
      'migrate',
      '--from',
      srcUri,
      '--to',
      dstUri,
      '--topic',
      topic,
      '--to-topic',
      'elsewhere',
      '--checkpoint',
      ck,
    ]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/belongs to another run/);
  });

  it('resumes without loss after the copying process is SIGKILLed mid-copy', async () => {
    const { topic, sent } = await sourceTopic(4, 3000, 40);
    const ck = join(cwd, `ck-kill-${topic}`);
    const base = [
      'migrate',
      '--from',
      srcUri,
      '--to',
      dstUri,
      '--topic',
      topic,
      '--checkpoint',
      ck,
      '--idle-ms',
      String(IDLE),
      '--json',
    ];
    const child = spawn(process.execPath, [bin, ...base, '--rate', '600'], { cwd, stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.on('exit', (code, signal) => r(signal ? -1 : code)));
    await waitFor(() => mapLines(ck) >= 800, 'the first 800 messages copied', 60_000);
    child.kill('SIGKILL');
    expect(await exited).toBe(-1);
    const killedAt = mapLines(ck);
    expect(killedAt).toBeLessThan(sent.length);
    const resumed = run([...base, '--verify']);
    const r = JSON.parse(resumed.stdout);
    expect(resumed.stderr).toBe('');
    expect({ code: resumed.code, copy: r.copy.stoppedBy, verify: r.verify?.ok }).toEqual({
      code: 0,
      copy: 'caught-up',
      verify: true,
    });
    // resumed where the group's checkpoint stood, not from the start
    expect(r.copy.copied).toBeLessThan(sent.length);
    expect(r.copy.copied).toBeGreaterThanOrEqual(sent.length - killedAt);
    expect(r.verify).toMatchObject({ ok: true, missing: 0, outOfOrder: 0, mismatched: 0, extra: 0 });
    expect(r.verify.target.count).toBe(sent.length + r.verify.duplicates);
    // redelivered messages already in the position map are not written again: duplicates are bounded by one
    // batch per partition written but not yet recorded when the process died (4 partitions x batch 100)
    expect(r.verify.duplicates).toBeLessThanOrEqual(4 * 100);
    process.stdout.write(
      `kill/resume: killed after ${killedAt} map lines; resumed copied ${r.copy.copied}, skipped ${r.copy.skipped}; duplicates ${r.verify.duplicates}\n`,
    );
  });
});

describe('migrate/library: local -> memory', () => {
  it('copies keyed and keyless messages with headers and verify is green', async () => {
    const { topic, sent } = await sourceTopic(3, 400, 7);
    const dst = await connect(`memory://${topic}`);
    try {
      const r = await migrate({
        from: src,
        to: dst,
        topic,
        checkpoint: join(cwd, `ck-mem-${topic}`),
        verify: true,
        idleMs: IDLE,
      });
      expect(r.ok).toBe(true);
      expect(r.copy?.copied).toBe(sent.length);
      expect(r.verify).toMatchObject({ ok: true, missing: 0, outOfOrder: 0, extra: 0, duplicates: 0 });
      const seen: ConsumedMessage[] = [];
      await readTopic(dst, topic, (m) => seen.push(m), { idleMs: IDLE });
      expect(seen).toHaveLength(sent.length);
      expect(seen.every((m) => m.headers[PROVENANCE_HEADER] && (m.key === null || m.headers.origin === 'test'))).toBe(true);
      // keyless messages kept their source partition index
      for (const m of seen.filter((x) => x.key === null))
        expect(m.headers[PROVENANCE_HEADER]?.split(':')[0]).toBe(String(m.partition));
    } finally {
      await dst.close();
    }
  });
});

describe('migrate/library: --until <time>', () => {
  it('copies the messages up to the time and leaves the later ones uncommitted for a later run', async () => {
    const topic = uniqueName('until');
    await src.admin.ensureTopic(topic, { partitions: 2 });
    const p = src.producer();
    const t0 = 1_700_000_000_000;
    await p.send(
      topic,
      Array.from({ length: 40 }, (_, i) => ({ key: `k${i % 4}`, value: `v${i}`, timestamp: t0 + i * 1000 })),
    );
    await p.close();
    const dst = await connect(`memory://until-${topic}`);
    const checkpoint = join(cwd, `ck-until-${topic}`);
    try {
      const first = await migrate({ from: src, to: dst, topic, checkpoint, idleMs: IDLE, until: { timestamp: t0 + 19_000 } });
      expect(first.copy).toMatchObject({ copied: 20, stoppedBy: 'caught-up' });
      const rest = await migrate({ from: src, to: dst, topic, checkpoint, idleMs: IDLE, verify: true });
      expect(rest.copy).toMatchObject({ copied: 20, stoppedBy: 'caught-up' });
      expect(rest.verify).toMatchObject({ ok: true, duplicates: 0, extra: 0 });
    } finally {
      await dst.close();
    }
  });
});

describe('migrate/library: group move', () => {
  it('moves a consumer group so it resumes on the target without loss, with duplicates counted', async () => {
    const { topic, sent } = await sourceTopic(3, 300, 10);
    // the application's group consumes part of the topic on the source, then stops
    const consumed = new Set<string>();
    const release = { stop: false };
    const sub = await src.subscribe(
      { topic, group: 'billing', maxAttempts: MAX_HANDLER_ATTEMPTS, onError: () => {} },
      async (m) => {
        if (consumed.size >= 120 || release.stop) {
          await waitFor(() => release.stop, 'stop', 60_000);
          throw new Error('application stopped');
        }
        consumed.add(utf8(m.value));
      },
    );
    await waitFor(() => consumed.size >= 120, '120 consumed on the source');
    await new Promise((r) => setTimeout(r, 300));
    release.stop = true;
    await sub.close();
    const remaining = sent.filter((v) => !consumed.has(v));
    const dst = await connect(`memory://group-${topic}`);
    try {
      // 2 target partitions for 3 source partitions: starts interleave, so some duplicates are expected
      const r = await migrate({
        from: src,
        to: dst,
        topic,
        partitions: 2,
        checkpoint: join(cwd, `ck-group-${topic}`),
        moveGroups: ['billing'],
        verify: true,
        idleMs: IDLE,
      });
      expect(r.ok).toBe(true);
      const moved = r.groups?.[0];
      expect(moved?.unreached).toEqual([]);
      const got: string[] = [];
      await readTopic(dst, topic, (m) => got.push(utf8(m.value)), { group: 'billing', idleMs: IDLE });
      const gotSet = new Set(got);
      expect(remaining.filter((v) => !gotSet.has(v))).toEqual([]); // no loss
      expect(got.length).toBe(remaining.length + (moved?.duplicates ?? -1)); // duplicates exactly as reported
      expect(got.length).toBeLessThan(sent.length); // it did not restart from the beginning
      process.stdout.write(
        `group move: ${consumed.size} consumed on source, ${got.length} delivered on target, ${moved?.duplicates} duplicates reported\n`,
      );
    } finally {
      await dst.close();
    }
  });
});

describe('migrate/library: oversize messages', () => {
  it('stops at a message too large for the target with its source position, then dead-letters it on request', async () => {
    const topic = uniqueName('big');
    await src.admin.ensureTopic(topic, { partitions: 1 });
    const p = src.producer();
    const small = Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 3}`, value: `v${i}` }));
    await p.send(topic, small.slice(0, 10));
    const [big] = await p.send(topic, { key: 'k1', value: 'x'.repeat(5000) });
    await p.send(topic, small.slice(10));
    await p.close();
    const dst = await connect(`memory://big-${topic}`, { config: { maxMessageBytes: 2000 } });
    const checkpoint = join(cwd, `ck-big-${topic}`);
    try {
      const stopped = await migrate({ from: src, to: dst, topic, checkpoint, idleMs: IDLE, verify: true });
      expect(stopped.ok).toBe(false);
      expect(stopped.copy?.stoppedBy).toBe('oversize');
      expect(stopped.copy?.oversize[0]).toMatchObject({ partition: 0, position: big?.position, limit: 2000 });
      expect(stopped.copy?.error).toMatch(new RegExp(`partition 0 position ${big?.position}`));
      expect(stopped.copy?.copied).toBe(10); // everything before it, nothing after it
      const resumed = await migrate({
        from: src,
        to: dst,
        topic,
        checkpoint,
        idleMs: IDLE,
        verify: true,
        onOversize: 'dead-letter',
      });
      expect(resumed.ok).toBe(true);
      expect(resumed.copy).toMatchObject({ copied: 10, deadLettered: 1 }); // the ten after it; the ten before were copied by the first run
      expect(resumed.verify).toMatchObject({ ok: true, missing: 0, deadLettered: 1 });
      const dl = readFileSync(join(checkpoint, 'dead-letter.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(dl).toHaveLength(1);
      expect(dl[0]).toMatchObject({ partition: 0, position: big?.position, key: 'k1', limit: 2000 });
      expect(Buffer.from(dl[0].value, 'base64').toString()).toBe('x'.repeat(5000));
    } finally {
      await dst.close();
    }
  });
});
