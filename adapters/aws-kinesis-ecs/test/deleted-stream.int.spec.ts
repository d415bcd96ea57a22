/**
 * A Kinesis stream deleted under a running subscription (issue #15). Before, every shard loop reported each failed
 * GetRecords/GetShardIterator to `onError` and the renew loop each failed ListShards, forever (measured on moto at
 * be50eee with 2 shards: 23-29 errors in 15 s, all `not-found`, and no end). Now the first not-found makes the
 * subscription ask once whether the stream itself is gone; it is, so one typed, non-retriable `NotFoundError`
 * (field `topic`) is reported, every shard stops and its lease is released, and the same error is repeated only
 * every 10 s (for supervisors' fail-after) until `close()`.
 *
 * The same de-duplication holds for errors that are not terminal: with every GetRecords throttled for 6 s, the
 * shard loops of a member report one error per backoff step between them, not one per shard per step (before:
 * one per shard per step).
 *
 * Run: `SPEEDLAYER_PEERS=moto npx vitest run --project int adapters/aws-kinesis-ecs/test/deleted-stream.int.spec.ts`.
 */
import { connect, isSpeedlayerError, NotFoundError, parseUri } from '@speedlayer/core';
import { Collector, produceKeyed, uniqueName, waitFor } from '@speedlayer/testing';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { expect, it } from 'vitest';
import { createKinesisStreamClient, type RequestHandlerLike } from '../src/stream/index.js';
import { GONE_REPORT_INTERVAL_MS } from '../src/stream/subscription.js';
import { fastConfig, motoUri } from './env.js';
import { FaultInjectingHandler } from './fault-injection.js';

const WATCH_MS = 15_000;

describePeer('moto', 'kinesis: a stream deleted under a running subscription', (moto) => {
  for (const [name, config] of [
    ['fast polls', fastConfig],
    ['default timings', {}],
  ] as const) {
    it(`reports one typed terminal NotFoundError and little else in ${WATCH_MS / 1000} s (${name}, 4 shards)`, async () => {
      const c = await connect(motoUri(moto), { config });
      try {
        const topic = uniqueName('gone');
        await c.admin.ensureTopic(topic, { partitions: 4 });
        await produceKeyed(c, topic, 40, 8);
        const col = new Collector();
        const errors: unknown[] = [];
        const s = await c.subscribe({ topic, group: uniqueName('g'), onError: (e) => errors.push(e) }, col.handler('m'));
        await col.waitForUnique(40, 60_000);
        await waitFor(() => s.assignments().length === 4, 'all four shards assigned', 30_000);
        const t0 = Date.now();
        await c.admin.deleteTopic(topic);
        const terminal = await waitFor(
          () => errors.find((e): e is NotFoundError => e instanceof NotFoundError && e.field === 'topic'),
          'the terminal NotFoundError',
          WATCH_MS,
        );
        const terminalMs = Date.now() - t0;
        await new Promise((r) => setTimeout(r, Math.max(0, WATCH_MS - (Date.now() - t0))));
        const kinds = errors.map((e) =>
          isSpeedlayerError(e) ? `${e === terminal ? 'T' : e.kind}:${e.message.slice(0, 90)}` : String(e),
        );
        console.info(
          `[kinesis deleted stream, ${name}] ${errors.length} errors in ${Date.now() - t0} ms; terminal after ${terminalMs} ms; ${JSON.stringify(kinds)}`,
        );
        expect(terminal.retriable).toBe(false);
        expect(terminal.kind).toBe('not-found');
        expect(terminal.message).toContain(`stream "${topic}" was deleted`);
        // before it: at most one report per distinct error per backoff step; after it: one repeat per interval
        const before = errors.indexOf(terminal);
        expect(before).toBeLessThanOrEqual(2);
        const repeats = errors.slice(before + 1);
        expect(repeats.every((e) => e === terminal)).toBe(true);
        expect(repeats.length).toBeLessThanOrEqual(Math.ceil(WATCH_MS / GONE_REPORT_INTERVAL_MS));
        expect(errors.length).toBeLessThanOrEqual(5);
        expect(s.assignments()).toEqual([]);
        const closing = Date.now();
        await s.close();
        expect(Date.now() - closing).toBeLessThan(2000);
        const after = errors.length;
        await new Promise((r) => setTimeout(r, 500));
        expect(errors.length).toBe(after); // nothing after close
      } finally {
        await c.close();
      }
    }, 120_000);
  }

  it('throttled reads on 4 shards: one report per backoff step between them, and every record arrives after', async () => {
    let throttling = true;
    const wire = new FaultInjectingHandler({ throttle: (target) => throttling && target === 'GetRecords' });
    const c = await createKinesisStreamClient(
      parseUri(motoUri(moto)),
      { config: fastConfig },
      { kinesisRequestHandler: wire as unknown as RequestHandlerLike },
    );
    try {
      const topic = uniqueName('throttled');
      await c.admin.ensureTopic(topic, { partitions: 4 });
      await produceKeyed(c, topic, 40, 8);
      const col = new Collector();
      const errors: unknown[] = [];
      const s = await c.subscribe({ topic, group: uniqueName('g'), onError: (e) => errors.push(e) }, col.handler('m'));
      await waitFor(() => s.assignments().length === 4, 'all four shards assigned', 30_000);
      await new Promise((r) => setTimeout(r, 6000));
      throttling = false;
      const throttled = errors.length;
      await col.waitForUnique(40, 60_000);
      console.info(`[kinesis throttled reads] ${throttled} errors reported in 6 s of throttling on 4 shards`);
      expect(errors.every((e) => isSpeedlayerError(e) && e.kind === 'throttled')).toBe(true);
      expect(throttled).toBeGreaterThan(0);
      // one report per backoff step (at least 1 s apart, growing to 5 s): about 5 in 6 s, whatever the shard count
      expect(throttled).toBeLessThanOrEqual(7);
      await s.close();
    } finally {
      await c.close();
    }
  }, 120_000);
});
