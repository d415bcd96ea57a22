/**
 * Fault steps on the cloud peers other than Kafka (issue #23; Kafka's are in packages/kafka/test): the peer
 * is stopped in the middle of producing and consuming, and started again on the same endpoint.
 *
 * These peers keep NO data across a restart, and say so (`speedlayer peers status`: "data LOST on down/up"): moto
 * and pstest hold everything in memory, and so does the Event Hubs stand-in (its checkpoints live in Azurite, which
 * is not restarted here). So "0 acknowledged records lost across the restart" cannot be checked on them, and this
 * step does not pretend to: it checks that the stream is gone after the restart (what the peer declares), and what
 * is checkable:
 * - sends during the outage block for a bounded time and fail with a typed speedlayer error (never a hang);
 * - every record acknowledged before the outage was delivered to the running consumer before the peer went away
 *   (the consumer was caught up: nothing acknowledged was lost by the client);
 * - after the peer returns, the same producer sends again, on a fresh stream of the same name, and a new
 *   subscription reads all of it; whether the subscription that lived through the restart resumes is reported.
 * Counts per target (produced, acked, consumed unique, duplicates) are printed.
 *
 * Peers are PRIVATE instances (private cache, other ports) so the shared ones are never stopped.
 * Run: `SPEEDLAYER_PEERS=moto,pubsub,azurite npx vitest run --project int test/faults/peer-restart.int.spec.ts`.
 */
import { readFileSync } from 'node:fs';
import { connect, isSpeedlayerError, type StreamClient, type Subscription } from '@speedlayer/core';
import { Collector, uniqueName, waitFor } from '@speedlayer/testing';
import { type EventHubsStandIn, startEventHubsStandIn } from '@speedlayer/testing/eventhubs-standin';
import { type PrivatePeerCache, peersDown, peersUp, usePrivatePeerCache } from '@speedlayer/testing/peers';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StandInTarget, startStandInTarget } from '../../adapters/azure-eventhubs-aks/test/amqp-standin.js';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE ??= '1';

/** One peer that can be stopped and started again on the same endpoint. */
interface RestartTarget {
  name: string;
  /** The config field that bounds a send during an outage, and its value in this test. */
  bound: { field: string; ms: number };
  uri: string;
  config: Record<string, unknown>;
  down(): Promise<void>;
  up(): Promise<void>;
}

/** Resolves with the promise's value, or `fallback` after `ms`. */
async function within<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((r) => (timer = setTimeout(() => r(fallback), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** The step: produce and consume, stop the peer mid-way, start it again; returns the counts it printed. */
async function restartStep(t: RestartTarget): Promise<void> {
  const t0 = Date.now();
  const mark = (what: string) => console.info(`[peer restart] ${t.name} +${Date.now() - t0} ms: ${what}`);
  const clients: StreamClient[] = [];
  const subs: Subscription[] = [];
  try {
    const client = await connect(t.uri, { config: t.config });
    clients.push(client);
    const topic = uniqueName('restart');
    await client.admin.ensureTopic(topic, { partitions: 2 });
    const col = new Collector();
    const subErrors: unknown[] = [];
    const sub = await client.subscribe(
      { topic, group: uniqueName('g'), startFrom: 'earliest', onError: (e) => subErrors.push(e) },
      col.handler('survivor'),
    );
    subs.push(sub);
    const producer = client.producer();
    const counts = { produced: 0, acked: 0, failedSends: 0 };
    const acked: string[] = [];
    let next = 0;
    const sendBatch = async (n: number): Promise<unknown> => {
      const values = Array.from({ length: n }, () => `v${next++}`);
      counts.produced += n;
      try {
        await producer.send(
          topic,
          values.map((v) => ({ key: `k${Number(v.slice(1)) % 8}`, value: v })),
        );
        counts.acked += n;
        acked.push(...values);
        return undefined;
      } catch (e) {
        counts.failedSends++;
        return e;
      }
    };

    // produce while the consumer reads
    for (let i = 0; i < 10; i++) expect(await sendBatch(20)).toBeUndefined();
    await waitFor(() => col.unique().size >= 100, 'the consumer reading', 60_000);

    // keep producing; the peer goes away in the middle
    const outage: Array<{ ms: number; error: unknown; startedDown: boolean }> = [];
    let downAt = 0;
    const loop = (async () => {
      // until two sends failed and the peer has been down for a second (sends made while it is down, not only
      // the ones in flight when it went)
      while (outage.length < 2 || downAt === 0 || Date.now() - downAt < 1000) {
        const t0 = Date.now();
        const startedDown = downAt !== 0;
        // a send still pending long after the bound is a result (a hang), not a test timeout
        const error = await within(sendBatch(20), t.bound.ms + 30_000, new Error('HANG: the send did not settle'));
        if (error !== undefined) outage.push({ ms: Date.now() - t0, error, startedDown });
        else await new Promise((r) => setTimeout(r, 100)); // ~200 records/s: a consumer keeps up
      }
    })();
    await waitFor(() => counts.acked >= 300, 'more records acknowledged', 60_000);
    // what was acknowledged up to here reaches the consumer while the producer goes on (the peer keeps nothing)
    const caughtUpTo = [...acked];
    await waitFor(() => caughtUpTo.every((v) => col.unique().has(v)), 'the consumer caught up', 60_000).catch((e: unknown) => {
      const missing = caughtUpTo.filter((v) => !col.unique().has(v));
      throw new Error(
        `${String((e as Error).message)}: ${missing.length} of ${acked.length} missing (${missing.slice(0, 5).join(',')}); errors ${subErrors
          .map((x) => String((x as Error).message).slice(0, 120))
          .slice(0, 3)
          .join(' | ')}`,
      );
    });
    const ackedBefore = [...acked];
    mark('stopping the peer');
    await t.down();
    mark('peer stopped');
    downAt = Date.now();
    await loop;
    mark('sends failed twice');
    const ackedDuringOutage = acked.slice(ackedBefore.length);
    const consumedBefore = new Set(col.unique());
    const notDelivered = caughtUpTo.filter((v) => !consumedBefore.has(v));
    const lastMomentNotDelivered = ackedBefore.filter((v) => !consumedBefore.has(v)).length;

    mark('starting the peer again');
    await t.up();
    mark('peer up');
    const outageMs = Date.now() - downAt;
    const gone = await client.admin.describeTopic(topic).then(
      () => false,
      (e: unknown) => (e as { kind?: string }).kind === 'not-found',
    );
    // a fresh stream of the same name, a new group on it (Pub/Sub delivers only what is published after a
    // subscription exists), and the same producer sends again
    mark('re-creating the stream');
    await client.admin.ensureTopic(topic, { partitions: 2 });
    mark('stream re-created');
    const reader = new Collector();
    const fresh = await client.subscribe({ topic, group: uniqueName('g'), startFrom: 'earliest' }, reader.handler('fresh'));
    subs.push(fresh);
    mark('new group subscribed');
    const afterStart = acked.length;
    for (let i = 0; i < 5; i++) {
      const e = await sendBatch(20);
      expect(e, `send after the restart: ${String((e as Error)?.message ?? e)}`).toBeUndefined();
    }
    const afterValues = acked.slice(afterStart);

    await waitFor(() => afterValues.every((v) => reader.unique().has(v)), 'a new group reading the fresh stream', 60_000);
    const survivorResumed = await within(
      waitFor(() => afterValues.every((v) => col.unique().has(v)), 'the surviving subscription', 15_000).then(() => true),
      16_000,
      false,
    ).catch(() => false);
    mark('closing the surviving subscription');
    const closeStart = Date.now();
    const survivorClosed = await within(
      sub.close().then(() => true),
      30_000,
      false,
    );
    const survivorCloseMs = Date.now() - closeStart;

    const all = [...col.received, ...reader.received];
    const unique = new Set(all.map((r) => r.text));
    const report = {
      target: t.name,
      dataKeptByPeer: false,
      produced: counts.produced,
      acked: counts.acked,
      consumedUnique: unique.size,
      duplicates: all.length - unique.size,
      ackedBeforeOutage: ackedBefore.length,
      ackedBeforeOutageNotDelivered: lastMomentNotDelivered,
      ackedDuringOutage: ackedDuringOutage.length,
      failedSends: counts.failedSends,
      outageSendMs: outage.map((o) => o.ms),
      outageSendStartedWhileDown: outage.map((o) => o.startedDown),
      outageErrors: outage.map((o) => {
        const e = o.error as { kind?: string; field?: string; retriable?: boolean; message?: string };
        const cause = (o.error as { cause?: { name?: string; code?: string; message?: string } }).cause;
        return {
          kind: e.kind,
          field: e.field,
          retriable: e.retriable,
          message: String(e.message).slice(0, 160),
          cause: cause ? `${cause.name}/${cause.code}/${String(cause.message).slice(0, 80)}` : undefined,
        };
      }),
      outageMs,
      streamGoneAfterRestart: gone,
      ackedAfterRestart: afterValues.length,
      freshGroupReadAfterRestart: afterValues.filter((v) => reader.unique().has(v)).length,
      survivorResumed,
      survivorClosed,
      survivorCloseMs,
      survivorErrors: subErrors.length,
    };
    console.info(`[peer restart] ${JSON.stringify(report)}`);

    expect(notDelivered, 'acknowledged while the peer was up, yet never delivered').toEqual([]);
    for (const o of outage) {
      expect(isSpeedlayerError(o.error), `typed error, got ${String(o.error)}`).toBe(true);
      // a send made while the peer is down: the error says a retry may succeed (one in flight when the peer went
      // may fail otherwise: whether it was stored is unknown; its kind is reported)
      if (o.startedDown) expect(o.error, 'sent while the peer was down').toMatchObject({ retriable: true });
      // bounded: the configured bound plus the client's own connection retries, never a hang
      expect(o.ms).toBeLessThan(t.bound.ms + 15_000);
    }
    // the peer declares that it keeps no data: nothing from before the restart can be read after it (the stream
    // itself is usually gone; on Pub/Sub the surviving subscription may have re-created the topic first)
    const before = new Set(ackedBefore);
    expect(reader.received.filter((r) => before.has(r.text))).toEqual([]);
    expect(afterValues.length).toBe(100);
    expect(outage.some((o) => o.startedDown)).toBe(true);
    expect(survivorClosed, 'the subscription that lived through the restart closes').toBe(true);
  } finally {
    await Promise.all(subs.map((s) => within(s.close(), 30_000, undefined).catch(() => {})));
    await Promise.all(clients.map((c) => within(c.close(), 30_000, undefined).catch(() => {})));
  }
}

// The two peers restart side by side: each step has its own private peer, ports, stream and groups, and most of
// a step is waiting (the outage's bounded sends, the 15 s the surviving subscription is given to resume); the
// launcher's cache lock orders their peers up / peers down calls.
describe.concurrent('cloud peers restarted mid-produce and mid-consume (private instances)', () => {
  let priv: PrivatePeerCache | undefined;

  beforeAll(async () => {
    priv = await usePrivatePeerCache('speedlayer-cloud-restart-', ['SPEEDLAYER_MOTO_PORT', 'SPEEDLAYER_PUBSUB_PORT']);
  }, 30_000);

  afterAll(async () => {
    try {
      await peersDown(['moto', 'pubsub']).catch(() => {});
    } finally {
      priv?.restore();
    }
  }, 60_000);

  describePeer('moto', 'kinesis on a private moto', () => {
    it('bounded sends during the outage, typed errors, a fresh stream after it; moto keeps no data', async () => {
      const up = await peersUp(['moto']);
      const uri = up.status.streams.kinesis as string;
      expect(uri).toContain(`:${process.env.SPEEDLAYER_MOTO_PORT}`);
      await restartStep({
        name: 'kinesis (moto)',
        bound: { field: 'requestTimeoutMs', ms: 3000 },
        uri,
        config: { requestTimeoutMs: 3000, produceTimeoutMs: 3000, pollIntervalMs: 50, commitIntervalMs: 100 },
        down: async () => {
          await peersDown(['moto']);
        },
        up: async () => {
          await peersUp(['moto']);
        },
      });
    }, 300_000);
  });

  describePeer('pubsub', 'pubsub on a private pstest', () => {
    it('bounded sends during the outage, typed errors, a fresh topic after it; pstest keeps no data', async () => {
      const up = await peersUp(['pubsub']);
      const uri = up.status.streams.pubsub as string;
      expect(uri).toContain(`:${process.env.SPEEDLAYER_PUBSUB_PORT}`);
      await restartStep({
        name: 'pubsub (pstest)',
        bound: { field: 'requestTimeoutMs', ms: 3000 },
        uri,
        config: { requestTimeoutMs: 3000 },
        down: async () => {
          await peersDown(['pubsub']);
        },
        up: async () => {
          await peersUp(['pubsub']);
        },
      });
    }, 300_000);
  });
});

/**
 * Event Hubs: the in-process stand-in is stopped and started on the same ports. Its close() once hung while clients
 * were reconnecting (sockets whose AMQP open had not arrived were never destroyed; fixed in the stand-in's server),
 * so this step was opt-in; it passed 7 of 7 runs after the fix. Before the adapter's guard
 * (adapters/azure-eventhubs-aks/src/amqp/sdk-guard.ts) closing a subscription that lived through the outage also
 * made @azure/core-amqp 4.4.2 throw out of an abort handler (Azure/azure-sdk-for-js#20569), which vitest reports as
 * an uncaught error.
 */
describePeer('azurite', 'event hubs on a private stand-in (checkpoints in the shared Azurite)', (azurite) => {
  let target: StandInTarget | undefined;
  let current: EventHubsStandIn | undefined;

  afterAll(async () => {
    await current?.close().catch(() => {});
  }, 30_000);

  it('bounded sends during the outage, typed errors, a fresh event hub after it; the stand-in keeps no data', async () => {
    const container = `rst-${Date.now().toString(36)}`;
    // sends are bounded by sendTimeoutMs; a 3 s operation timeout makes the SDK's request timers fire during the
    // outage, the path that threw out of a timer before the adapter's guard (Azure/azure-sdk-for-js#20569)
    target = await startStandInTarget(azurite, container, { sendTimeoutMs: 3000, operationTimeoutMs: 3000, retries: 1 });
    current = target.standIn;
    const t = target;
    const key = /SharedAccessKey=([^;]+)/.exec(readFileSync(t.connectionStringFile, 'utf8'))?.[1] ?? '';
    const managementPort = Number(new URL(t.standIn.managementEndpoint).port);
    const port = t.standIn.port;
    await restartStep({
      name: 'eventhubs (AMQP stand-in)',
      bound: { field: 'sendTimeoutMs', ms: 3000 },
      uri: t.uri,
      config: t.config,
      down: async () => {
        const closed = await within(current?.close().then(() => true) ?? Promise.resolve(true), 20_000, false);
        if (!closed) throw new Error('the in-process stand-in did not close within 20 s (clients reconnecting)');
        current = undefined;
      },
      up: async () => {
        current = await startEventHubsStandIn({ port, managementPort, key });
      },
    });
  }, 300_000);
});
