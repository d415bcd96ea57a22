/**
 * Migration between real local peers: every pair the issue names, each guarded by its peers. A pair whose
 * peer is not up is reported as skipped with the reason; the summary line says which pairs ran.
 * The pairs run side by side (`describe.concurrent`): each has its own topics, groups and checkpoint, and most of
 * a pair's time is the idle wait that ends its copy and its verify, so waiting for them one after another only
 * adds up the waits.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConnectOptions, connect, isSpeedlayerError, type StreamClient, utf8 } from '@speedlayer/core';
import { produceKeyed, uniqueName } from '@speedlayer/testing';
import { injectPeers } from '@speedlayer/testing/peers/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_HANDLER_ATTEMPTS, migrate, prepareReader, readTopic } from '../src/index.js';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE ??= '1';

const peers = injectPeers();
const streams = peers.streams;
const IDLE = 4000;
const ran: string[] = [];
const notRun: string[] = [];

interface Pair {
  from: string;
  to: string;
  /** Source without seek (Pub/Sub emulator): its groups must exist before the data is written. */
  sourceNeedsGroupsFirst?: boolean;
  needs: Array<keyof typeof peers>;
}

const pairs: Pair[] = [
  { from: 'local', to: 'kafka', needs: ['kafka'] },
  { from: 'kafka', to: 'kinesis', needs: ['kafka', 'moto'] },
  { from: 'kinesis', to: 'pubsub', needs: ['moto', 'pubsub'] },
  { from: 'pubsub', to: 'local', sourceNeedsGroupsFirst: true, needs: ['pubsub'] },
  { from: 'kafka', to: 'eventhubs+kafka', needs: ['kafka'] },
];

afterAll(() => {
  process.stdout.write(`migrate pairs that ran on real peers: ${ran.join(', ') || 'none'}\n`);
  if (notRun.length) process.stdout.write(`migrate pairs not run (adapter not available): ${notRun.join('; ')}\n`);
});

const connectOptions = (scheme: string): ConnectOptions =>
  scheme === 'kinesis' ? { config: { pollIntervalMs: 20, shardSyncIntervalMs: 500 } } : {};

for (const pair of pairs) {
  const name = `${pair.from} -> ${pair.to}`;
  const missing = pair.needs.filter((p) => peers[p] === undefined);
  const fromUri = streams[pair.from];
  const toUri = streams[pair.to];
  const reason = missing.length
    ? `peers not up: ${missing.join(', ')}`
    : !fromUri || !toUri
      ? 'no stream URI for the adapter'
      : '';
  describe(`migrate/pairs: ${name}${reason ? ` (skipped: ${reason})` : ''}`, { concurrent: true, skip: reason !== '' }, () => {
    it('copies a keyed topic with headers and verify is green', async (ctx) => {
      let from: StreamClient | undefined;
      let to: StreamClient | undefined;
      try {
        from = await connect(fromUri as string, connectOptions(pair.from));
        to = await connect(toUri as string, connectOptions(pair.to));
      } catch (e) {
        // an adapter still being written: say so instead of failing the pair
        await from?.close();
        if (isSpeedlayerError(e) && e.kind === 'config' && /does not export|needs the package/.test(e.message)) {
          notRun.push(`${name} (${e.message})`);
          ctx.skip(e.message);
        }
        throw e;
      }
      try {
        const topic = uniqueName('mig').replace(/[^a-z0-9-]/g, '');
        const toTopic = `${topic}-copy`;
        await from.admin.ensureTopic(topic, { partitions: 3 });
        const group = `speedlayer-migrate-${topic}`;
        const sourceReader = `${topic}-verify-src`;
        if (pair.sourceNeedsGroupsFirst) {
          await prepareReader(from, topic, group);
          await prepareReader(from, topic, sourceReader);
        }
        const sent = await produceKeyed(from, topic, 150, 12, { headers: { origin: pair.from } });
        const r = await migrate({
          from,
          to,
          topic,
          toTopic,
          group,
          verify: true,
          idleMs: IDLE,
          checkpoint: join(tmpdir(), 'speedlayer-migrate-int', topic),
          ...(pair.sourceNeedsGroupsFirst ? { verifyGroups: { source: sourceReader } } : {}),
        });
        expect(r.copy).toMatchObject({ copied: sent.length, stoppedBy: 'caught-up' });
        expect(r.verify).toMatchObject({ ok: true, missing: 0, outOfOrder: 0, mismatched: 0 });
        expect(r.verify?.source.count).toBe(sent.length);
        expect(r.ok).toBe(true);
        ran.push(`${name} (${sent.length} messages, matched by ${r.verify?.matchedBy})`);
        await from.admin.deleteTopic(topic).catch(() => {});
        await to.admin.deleteTopic(toTopic).catch(() => {});
      } finally {
        await from.close();
        await to.close();
      }
    });
  });
}

describe('migrate/pairs: group move local -> kafka', {
  concurrent: true,
  skip: !peers.kafka || !streams.kafka || !streams.local,
}, () => {
  it('a group moved to Kafka resumes there without loss, duplicates as reported', async () => {
    const from = await connect(streams.local as string);
    const to = await connect(streams.kafka as string);
    try {
      const topic = uniqueName('miggroup').replace(/[^a-z0-9-]/g, '');
      await from.admin.ensureTopic(topic, { partitions: 3 });
      const sent = await produceKeyed(from, topic, 150, 12);
      const consumed = new Set<string>();
      let stop = false;
      const sub = await from.subscribe(
        { topic, group: 'app', maxAttempts: MAX_HANDLER_ATTEMPTS, onError: () => {} },
        async (m) => {
          if (consumed.size >= 60 || stop) {
            while (!stop) await new Promise((r) => setTimeout(r, 20));
            throw new Error('application stopped');
          }
          consumed.add(utf8(m.value));
        },
      );
      while (consumed.size < 60) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 300));
      stop = true;
      await sub.close();
      const r = await migrate({
        from,
        to,
        topic,
        moveGroups: ['app'],
        idleMs: IDLE,
        checkpoint: join(tmpdir(), 'speedlayer-migrate-int', topic),
      });
      expect(r.ok).toBe(true);
      const got: string[] = [];
      await readTopic(to, topic, (m) => got.push(utf8(m.value)), { group: 'app', idleMs: IDLE });
      const gotSet = new Set(got);
      const remaining = sent.filter((v) => !consumed.has(v));
      expect(remaining.filter((v) => !gotSet.has(v))).toEqual([]);
      expect(got.length).toBe(remaining.length + (r.groups?.[0]?.duplicates ?? -1));
      ran.push(`group move local -> kafka (${remaining.length} to resume, ${r.groups?.[0]?.duplicates} duplicates)`);
      await from.admin.deleteTopic(topic).catch(() => {});
      await to.admin.deleteTopic(topic).catch(() => {});
    } finally {
      await from.close();
      await to.close();
    }
  });
});
