/**
 * A broker restart mid-stream (issue #5): producers keep sending keyed batches (acks=all, idempotent, the adapter's
 * defaults) while a consumer group consumes; the broker process is killed with SIGKILL, left down a few seconds and
 * started again on the same data directory and ports. Every send that was acknowledged must be consumed (nothing
 * lost), in per-key order; a send during the outage either fails with a typed retriable error or succeeds after
 * the client's retries. Duplicates are allowed (at-least-once) and counted.
 *
 * The shared Kafka peer is used by other test files at the same time, so this test kills a PRIVATE single-node
 * KRaft broker started from the peer's installed distribution (`startPrivateKafka`), on free loopback ports and a
 * temporary data directory, and always stops it.
 *
 * Run: `SPEEDLAYER_PEERS=kafka npx vitest run --project int packages/kafka/test/stream.restart.int.spec.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, isSpeedlayerError, type StreamClient, type Subscription } from '@speedlayer/core';
import { Collector, uniqueName, waitFor } from '@speedlayer/testing';
import { type PrivateKafka, startPrivateKafka } from '@speedlayer/testing/peers';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';

/** One producer's send call, as observed. */
interface SendRecord {
  producer: number;
  values: string[];
  startedAt: number;
  endedAt: number;
  ok: boolean;
  error?: { name: string; kind: unknown; retriable: unknown; message: string };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describePeer('kafka', 'kafka stream: broker restart mid-stream (private broker)', () => {
  let dir = '';
  let broker: PrivateKafka | undefined;
  const clients: StreamClient[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'speedlayer-kafka-restart-'));
    broker = await startPrivateKafka({ dataDir: dir });
  }, 120_000);

  afterAll(async () => {
    try {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
    } finally {
      await broker?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a SIGKILLed broker restarted on the same data loses no acknowledged message and keeps per-key order', async () => {
    const b = broker as PrivateKafka;
    const uri = `kafka://${b.bootstrap}`;
    const newClient = async () => {
      const c = await connect(uri);
      clients.push(c);
      return c;
    };
    const admin = await newClient();
    const topic = uniqueName('restart');
    await admin.admin.ensureTopic(topic, { partitions: 4 });

    // the consumer group
    const col = new Collector();
    const consumerErrors: unknown[] = [];
    const consumer = await newClient();
    const sub: Subscription = await consumer.subscribe(
      { topic, group: uniqueName('g'), onError: (e) => consumerErrors.push(e) },
      col.handler('c'),
    );

    // two producers, each with its own keys, sending batches of 10 one after the other
    const sends: SendRecord[] = [];
    let stop = false;
    const produce = async (id: number) => {
      const producer = (await newClient()).producer();
      const seqs = new Map<string, number>();
      let n = 0;
      while (!stop) {
        const records = Array.from({ length: 10 }, () => {
          const key = `p${id}-k${n++ % 6}`;
          const seq = seqs.get(key) ?? 0;
          seqs.set(key, seq + 1);
          return { key, value: `${key}:${seq}` };
        });
        const s: SendRecord = { producer: id, values: records.map((r) => r.value), startedAt: Date.now(), endedAt: 0, ok: false };
        try {
          await producer.send(topic, records);
          s.ok = true;
        } catch (e) {
          const err = e as { name?: string; kind?: unknown; retriable?: unknown; message?: string };
          s.error = {
            name: isSpeedlayerError(e) ? (err.name ?? 'SpeedlayerError') : `untyped ${String(err.name)}`,
            kind: err.kind,
            retriable: err.retriable,
            message: String(err.message),
          };
        }
        s.endedAt = Date.now();
        sends.push(s);
        await sleep(s.ok ? 20 : 250);
      }
      await producer.close();
    };
    const producing = Promise.all([produce(0), produce(1)]);
    const acked = () => sends.filter((s) => s.ok).flatMap((s) => s.values);

    let killedAt = 0;
    let upAt = 0;
    try {
      // a steady stream first, consumed as it goes
      await waitFor(() => acked().length >= 400 && col.unique().size >= 100, 'a steady stream before the kill', 30_000);
      killedAt = Date.now();
      await b.kill('SIGKILL');
      expect(await b.alive()).toBe(false);
      await sleep(3000);
      await b.restart();
      upAt = Date.now();
      // keep producing until both producers have sends acknowledged after the restart
      await waitFor(
        () => [0, 1].every((id) => sends.filter((s) => s.producer === id && s.ok && s.startedAt > upAt).length >= 10),
        'sends acknowledged by both producers after the restart',
        60_000,
      );
    } finally {
      stop = true;
      await producing;
    }
    const ackedValues = acked();
    const ackedSet = new Set(ackedValues);
    await waitFor(() => ackedValues.every((v) => col.unique().has(v)), 'every acknowledged message consumed', 45_000).catch(
      () => undefined,
    ); // the assertion below reports what is missing
    await sub.close();

    const consumed = col.unique();
    const lost = ackedValues.filter((v) => !consumed.has(v));
    // per-key order over acknowledged messages: first deliveries of a key's acknowledged values come in sequence order
    const lastSeq = new Map<string, number>();
    const firstSeen = new Set<string>();
    const orderViolations: string[] = [];
    for (const r of col.received) {
      if (!ackedSet.has(r.text) || firstSeen.has(r.text)) continue;
      firstSeen.add(r.text);
      const [key = '', seqText] = r.text.split(':');
      const seq = Number(seqText);
      const last = lastSeq.get(key) ?? -1;
      if (seq < last) orderViolations.push(`${r.text} first seen after ${key}:${last}`);
      else lastSeq.set(key, seq);
    }
    const failed = sends.filter((s) => !s.ok);
    const spanningOutage = sends.filter((s) => s.startedAt < upAt && s.endedAt > killedAt);
    const unackedDelivered = failed.flatMap((s) => s.values).filter((v) => consumed.has(v));
    const report = {
      sends: sends.length,
      acknowledgedMessages: ackedValues.length,
      failedSends: failed.length,
      sendsSpanningOutage: spanningOutage.length,
      succeededAcrossOutage: spanningOutage.filter((s) => s.ok).length,
      outageMs: upAt - killedAt,
      consumedDistinct: consumed.size,
      deliveries: col.received.length,
      duplicates: col.received.length - consumed.size,
      unacknowledgedButDelivered: unackedDelivered.length,
      consumerErrors: [
        ...new Set(
          consumerErrors.map(
            (e) =>
              `${(e as Error).name}/${String((e as { kind?: string }).kind)}/retriable=${String((e as { retriable?: boolean }).retriable)}: ${String((e as Error).message).slice(0, 160)}`,
          ),
        ),
      ],
      consumerErrorCount: consumerErrors.length,
      failedSendErrors: [
        ...new Set(failed.map((s) => `${s.error?.name}/${String(s.error?.kind)}/retriable=${String(s.error?.retriable)}`)),
      ],
    };
    console.info(`[kafka restart] ${JSON.stringify(report)}`);

    expect(lost, `acknowledged but never consumed (${lost.length})`).toEqual([]);
    expect(orderViolations).toEqual([]);
    // the outage was really crossed by sends, and each one that failed failed with a typed, retriable error
    expect(spanningOutage.length).toBeGreaterThan(0);
    for (const s of failed) {
      expect(s.error, s.error?.message).toMatchObject({ kind: 'connection', retriable: true });
      expect(s.error?.name).not.toMatch(/^untyped/);
    }
    // errors the consumer recovered from are typed speedlayer errors too
    for (const e of consumerErrors) expect(isSpeedlayerError(e), String(e)).toBe(true);
  }, 120_000);
});
