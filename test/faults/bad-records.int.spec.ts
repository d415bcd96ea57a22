/**
 * A bad record is refused at once on every cloud target, and never blocks later sends (issue #23): a key, header
 * or string value with a lone surrogate (no UTF-8 encoding) is a non-retriable `ValidationError` naming the field,
 * raised by core before anything reaches the driver. Before: Kinesis never settled (and the next send hung),
 * Pub/Sub stalled 67 s and ended in a retriable TimeoutError, Kafka and Event Hubs rewrote it to U+FFFD.
 *
 * Runs on every stream peer that is up: Kafka, Kinesis (moto), Pub/Sub (pstest), Event Hubs over AMQP (the
 * stand-in) and over its Kafka endpoint (real Kafka, SASL_SSL).
 * Run: `SPEEDLAYER_PEERS=kafka,moto,pubsub,azurite,eventhubs-standin npx vitest run --project int test/faults/bad-records.int.spec.ts`.
 */
import { connect, isSpeedlayerError, type StreamClient } from '@speedlayer/core';
import { uniqueName } from '@speedlayer/testing';
import { injectPeers } from '@speedlayer/testing/peers/vitest';
import { afterAll, describe, expect, it } from 'vitest';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE ??= '1';

const SCHEMES = ['kafka', 'kinesis', 'pubsub', 'eventhubs', 'eventhubs+kafka'] as const;
const streams = injectPeers().streams as Partial<Record<string, string>>;
const LONE = 'k\uD800x';

/** The promise's outcome, or `'pending'` after `ms` (a hang is a result here, not a test timeout). */
async function settle<T>(p: Promise<T>, ms: number): Promise<{ ok: true; value: T } | { ok: false; error: unknown } | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<'pending'>((r) => {
    timer = setTimeout(() => r('pending'), ms);
  });
  try {
    return await Promise.race([p.then((value) => ({ ok: true as const, value })), pending]);
  } catch (error) {
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
  }
}

for (const scheme of SCHEMES) {
  const uri = streams[scheme];
  describe.skipIf(!uri)(`faults/bad records/${scheme}`, () => {
    const clients: StreamClient[] = [];
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
    }, 60_000);

    it('a lone surrogate in a key, header or value is a non-retriable ValidationError at once, and later sends go through', async () => {
      const client = await connect(uri as string);
      clients.push(client);
      const topic = uniqueName('bad-utf8');
      await client.admin.ensureTopic(topic, { partitions: 2 });
      const producer = client.producer();
      const bad: [string, Parameters<typeof producer.send>[1], string][] = [
        ['key', { key: LONE, value: 'v' }, 'records[0].key'],
        ['header value', { key: 'k', value: 'v', headers: { h: LONE } }, 'records[0].headers.h'],
        ['string value', { key: 'k', value: `v${'\uDFFF'}` }, 'records[0].value'],
        [
          'second record of a batch',
          [
            { key: 'a', value: 'ok' },
            { key: LONE, value: 'v' },
          ],
          'records[1].key',
        ],
      ];
      const timings: Record<string, number> = {};
      for (const [what, records, field] of bad) {
        const t0 = Date.now();
        const r = await settle(producer.send(topic, records), 10_000);
        timings[what] = Date.now() - t0;
        expect(r, `${scheme}: send with a bad ${what} did not settle in 10 s`).not.toBe('pending');
        if (r === 'pending') continue;
        expect(r.ok, `${scheme}: a bad ${what} was accepted`).toBe(false);
        const error = (r as { error: unknown }).error;
        expect(isSpeedlayerError(error), String(error)).toBe(true);
        expect(error).toMatchObject({ name: 'ValidationError', kind: 'validation', retriable: false, field });
      }
      // one bad record never blocks later sends on the same producer
      const good = await settle(producer.send(topic, { key: 'k', value: 'after', headers: { h: 'ü' } }), 30_000);
      expect(good, `${scheme}: the next good send did not settle in 30 s`).not.toBe('pending');
      expect(good === 'pending' ? undefined : good.ok, `${scheme}: ${String((good as { error?: unknown }).error)}`).toBe(true);
      console.info(`[bad records ${scheme}] ms to refuse: ${JSON.stringify(timings)}`);
      await producer.close();
    }, 90_000);
  });
}
