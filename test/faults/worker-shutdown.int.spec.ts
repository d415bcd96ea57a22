/**
 * Worker shutdown with real `speedlayer worker` processes (issue #23), on local:// and on Kafka:
 * - a handler stuck in work (ignoring its abort signal) gets SIGTERM, then SIGTERM again as wrappers and PID-1
 *   shims send: the second one is ignored, the drain ends at its deadline, the stuck handler is named in the log,
 *   the process exits by itself (not killed by the signal), and what was handled before it was committed: the next
 *   member of the group starts at the stuck message and re-handles nothing before it;
 * - on Kafka, a drain longer than the group session (a slow handler, shorter than the deadline) keeps the member
 *   alive: its final commit is accepted (no UNKNOWN_MEMBER_ID), and the next member re-handles nothing.
 * Before: the second SIGTERM killed the worker without drain or commit, the drain had no bound, and on Kafka the
 * final commit failed with UNKNOWN_MEMBER_ID after the worker was fenced and rejoined.
 *
 * Run: `SPEEDLAYER_PEERS=kafka npx vitest run --project int test/faults/worker-shutdown.int.spec.ts` (after `npx tsc --build`:
 * the workers run the built CLI).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type StreamClient } from '@speedlayer/core';
import { uniqueName, waitFor } from '@speedlayer/testing';
import { injectPeers } from '@speedlayer/testing/peers/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../packages/cli/bin/speedlayer.js', import.meta.url));

/** The handler: records `start:<value>` and `done:<value>`; `stuck` never returns, `slow` takes SLOW_MS. */
const HANDLER = `
import { appendFileSync } from 'node:fs';
export default async function handle(m) {
  const v = new TextDecoder().decode(m.value);
  const log = (s) => appendFileSync(process.env.HANDLED_FILE, s + ':' + v + ':' + m.position + '\\n');
  log('start');
  if (v === 'stuck' && process.env.STUCK === '1') await new Promise((r) => setTimeout(r, 600000));
  if (v === 'slow' && process.env.SLOW_MS) await new Promise((r) => setTimeout(r, Number(process.env.SLOW_MS)));
  log('done');
}
`;

interface Worker {
  proc: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One suite per target. The suites run side by side (`describe.concurrent`: their own directory, stream, topics and
 * worker processes); the tests inside a suite run one after another (`it.sequential`), as their drain and commit
 * timings were written for.
 */
function shutdownSuite(name: string, uriOf: (dir: string) => string, extra: { kafka: boolean }) {
  describe.concurrent(`faults/worker shutdown/${name}`, () => {
    let dir = '';
    let handler = '';
    const clients: StreamClient[] = [];
    const workers: Worker[] = [];

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'speedlayer-shutdown-'));
      handler = join(dir, 'handler.mjs');
      writeFileSync(handler, HANDLER);
    });
    afterAll(async () => {
      for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    const lines = (file: string) => {
      try {
        return readFileSync(file, 'utf8').split('\n').filter(Boolean);
      } catch {
        return [];
      }
    };
    const done = (file: string) => lines(file).filter((l) => l.startsWith('done:'));

    function startWorker(topic: string, group: string, file: string, env: Record<string, string>): Worker {
      let err = '';
      const proc = spawn(
        process.execPath,
        [
          BIN,
          'worker',
          '--topic',
          topic,
          '--group',
          group,
          '--handler',
          handler,
          '--stream',
          uriOf(dir),
          '--session-timeout-ms',
          '6000',
        ],
        { env: { ...process.env, HANDLED_FILE: file, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      proc.stderr?.on('data', (c: Buffer) => {
        err += c.toString();
      });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
        proc.once('exit', (code, signal) => r({ code, signal })),
      );
      const w = { proc, stderr: () => err, exited };
      workers.push(w);
      return w;
    }

    async function topicWith(values: string[]): Promise<string> {
      const client = await connect(uriOf(dir));
      clients.push(client);
      const topic = uniqueName('shutdown');
      await client.admin.ensureTopic(topic, { partitions: 1 });
      const producer = client.producer();
      for (const v of values) await producer.send(topic, { key: 'k', value: v });
      await producer.close();
      return topic;
    }

    it.sequential('a stuck handler: a repeated SIGTERM is ignored, the drain ends at its deadline naming the handler, and what was handled before it stays committed', async () => {
      const values = [...Array.from({ length: 20 }, (_, i) => `v${i}`), 'stuck', ...Array.from({ length: 9 }, (_, i) => `w${i}`)];
      const topic = await topicWith(values);
      const group = uniqueName('g');
      const fileA = join(dir, `${topic}-a.log`);
      const a = startWorker(topic, group, fileA, { STUCK: '1', SPEEDLAYER_DRAIN_TIMEOUT_MS: '3000' });
      await waitFor(() => lines(fileA).some((l) => l.startsWith('start:stuck')), 'the worker reached the stuck message', 60_000);
      await sleep(1500); // past the commit interval: the prefix before the stuck message is checkpointed
      a.proc.kill('SIGTERM');
      await sleep(300);
      a.proc.kill('SIGTERM'); // as a wrapper or PID-1 shim forwards it again
      const exit = await a.exited;
      const logA = a.stderr();
      expect(exit.signal, `killed by ${exit.signal}; stderr:\n${logA}`).toBeNull();
      expect(exit.code).toBe(1);
      expect(logA).toMatch(/SIGTERM again during the drain: ignored/);
      expect(logA).toMatch(/drain deadline passed/);
      const stuckPosition = lines(fileA)
        .find((l) => l.startsWith('start:stuck'))
        ?.split(':')[2];
      expect(logA).toContain(`"position":"${stuckPosition}"`);

      // the next member starts at the stuck message: nothing handled before it comes again
      const fileB = join(dir, `${topic}-b.log`);
      const b = startWorker(topic, group, fileB, {});
      await waitFor(() => done(fileB).length >= 10, 'the next member handles the rest', 60_000).catch(() => undefined);
      b.proc.kill('SIGTERM');
      const exitB = await b.exited;
      const handledA = done(fileA).map((l) => l.split(':')[1]);
      const handledB = done(fileB).map((l) => l.split(':')[1]);
      const all = [...handledA, ...handledB];
      const counts = {
        produced: values.length,
        consumedUnique: new Set(all).size,
        duplicates: all.length - new Set(all).size,
        redeliveredAfterRestart: handledB.filter((v) => handledA.includes(v)),
      };
      console.info(`[worker shutdown ${name}, stuck handler] ${JSON.stringify(counts)}`);
      expect(exitB, b.stderr()).toEqual({ code: 0, signal: null });
      expect(handledB).toEqual(['stuck', ...values.slice(21)]);
      expect(counts.consumedUnique).toBe(values.length);
      expect(counts.duplicates).toBe(0);
    }, 180_000);

    it.sequential('a deleted topic: the worker turns not ready after the bound, then stops with an error naming the topic', async () => {
      const topic = await topicWith(['x0']);
      const file = join(dir, `${topic}-del.log`);
      const w = startWorker(topic, uniqueName('g'), file, {
        SPEEDLAYER_UNREADY_AFTER_MS: '2000',
        SPEEDLAYER_FAIL_AFTER_MS: '6000',
      });
      await waitFor(() => done(file).length >= 1, 'the worker consumes', 60_000);
      await (clients[clients.length - 1] as StreamClient).admin.deleteTopic(topic);
      const exit = await w.exited;
      const log = w.stderr();
      expect(exit.signal, log).toBeNull();
      expect(exit.code, log).not.toBe(0);
      expect(log).toMatch(/cannot consume: not ready/);
      expect(log).toMatch(/cannot consume: stopping the worker/);
      expect(log.split('\n').filter(Boolean).at(-1)).toContain(topic);
    }, 120_000);

    if (extra.kafka) {
      it.sequential('a drain longer than the session timeout keeps the membership: the final commit is accepted and nothing is redelivered', async () => {
        const values = ['a0', 'a1', 'slow', 'b0', 'b1'];
        const topic = await topicWith(values);
        const group = uniqueName('g');
        const fileA = join(dir, `${topic}-a.log`);
        // the slow handler (10 s) outlives the 6 s session (Kafka's minimum); the drain deadline (25 s) does not end it
        const a = startWorker(topic, group, fileA, { SLOW_MS: '10000', SPEEDLAYER_DRAIN_TIMEOUT_MS: '25000' });
        await waitFor(() => lines(fileA).some((l) => l.startsWith('start:slow')), 'the worker reached the slow message', 60_000);
        a.proc.kill('SIGTERM');
        const exit = await a.exited;
        const logA = a.stderr();
        expect(exit, logA).toEqual({ code: 0, signal: null });
        expect(logA).not.toMatch(/UNKNOWN_MEMBER_ID|not a current member|rebalanc/i);

        const fileB = join(dir, `${topic}-b.log`);
        const b = startWorker(topic, group, fileB, {});
        await waitFor(() => done(fileB).length >= 2, 'the next member handles the rest', 60_000).catch(() => undefined);
        await sleep(1000);
        b.proc.kill('SIGTERM');
        await b.exited;
        const handledA = done(fileA).map((l) => l.split(':')[1]);
        const handledB = done(fileB).map((l) => l.split(':')[1]);
        const all = [...handledA, ...handledB];
        console.info(
          `[worker shutdown ${name}, slow drain] ${JSON.stringify({ produced: values.length, consumedUnique: new Set(all).size, duplicates: all.length - new Set(all).size, handledA, handledB })}`,
        );
        expect(handledA).toEqual(['a0', 'a1', 'slow']);
        expect(handledB).toEqual(['b0', 'b1']);
      }, 180_000);
    }
  });
}

shutdownSuite('local', (dir) => `local://${join(dir, 'data')}`, { kafka: false });
const kafka = injectPeers().kafka;
if (kafka) shutdownSuite('kafka', () => `kafka://${kafka.bootstrap}`, { kafka: true });
