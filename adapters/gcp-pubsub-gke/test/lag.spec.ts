/**
 * The Pub/Sub lag reading's failure paths, which no emulator can produce on demand: a step failing after the snapshot
 * exists (the snapshot and the temporary subscription are still deleted), refused permissions (asked once per
 * `cacheMs`, not on every scrape), a scan stopped by its deadline (a truncated lower bound). The stub answers the
 * gRPC methods the reading calls; the happy path runs against a real pstest with snapshots in lag.int.spec.ts.
 */
import type { PubSub } from '@google-cloud/pubsub';
import { silentLogger } from '@speedlayer/core';
import { describe, expect, it } from 'vitest';
import { LAG_RESOURCE_PREFIX, PubsubLagReader } from '../src/stream/lag.js';

type Answer = (reqOpts: Record<string, unknown>) => unknown;

/** A `PubSub` whose `request` answers per method (an Error with `code` fails the call) and records every call. */
function stub(answers: Record<string, Answer>) {
  const calls: { method: string; reqOpts: Record<string, unknown> }[] = [];
  const named = (kind: string) => (name: string) => ({ name: `projects/p/${kind}/${name}` });
  const pubsub = {
    snapshot: named('snapshots'),
    subscription: named('subscriptions'),
    topic: (name: string) => ({ name: `projects/p/topics/${name}`, exists: async () => [true] }),
    request(config: { method: string; reqOpts: Record<string, unknown> }, callback: (err: unknown, res?: unknown) => void) {
      calls.push({ method: config.method, reqOpts: config.reqOpts });
      const answer = answers[config.method];
      Promise.resolve(answer ? answer(config.reqOpts) : {}).then(
        (res) => (res instanceof Error ? callback(res) : callback(null, res)),
        (e: unknown) => callback(e),
      );
    },
  };
  return { pubsub: pubsub as unknown as PubSub, calls };
}

const grpc = (code: number, message: string) => Object.assign(new Error(message), { code });
const options = { maxMessages: 1000, timeoutMs: 5000, cacheMs: 60_000 };

describe('gcp-pubsub-gke/stream/lag', () => {
  it('a failed Seek still deletes the temporary subscription and the snapshot, and names the group', async () => {
    const { pubsub, calls } = stub({ seek: () => grpc(9, 'seek refused') });
    const reader = new PubsubLagReader(pubsub, options, silentLogger, false);
    await expect(reader.lag('orders', 'billing')).rejects.toMatchObject({ kind: 'conflict', field: 'group' });
    const methods = calls.map((c) => c.method);
    expect(methods.slice(0, 3)).toEqual(['createSnapshot', 'createSubscription', 'seek']);
    expect(methods.slice(3).sort()).toEqual(['deleteSnapshot', 'deleteSubscription']);
    const snapshot = calls[0]?.reqOpts.name as string;
    expect(snapshot).toMatch(new RegExp(`^projects/p/snapshots/${LAG_RESOURCE_PREFIX}`));
    expect(calls[0]?.reqOpts.subscription).toBe('projects/p/subscriptions/orders.billing');
    expect(calls.find((c) => c.method === 'deleteSnapshot')?.reqOpts.snapshot).toBe(snapshot);
    // the temporary subscription: unordered, expiring on its own if this process dies, labelled
    expect(calls[1]?.reqOpts).toMatchObject({
      topic: 'projects/p/topics/orders',
      enableMessageOrdering: false,
      expirationPolicy: { ttl: { seconds: 86_400 } },
      labels: { 'speedlayer-lag': 'scan' },
    });
    expect(calls.find((c) => c.method === 'deleteSubscription')?.reqOpts.subscription).toBe(calls[1]?.reqOpts.name);
  });

  it('refused permissions are an AuthError naming what lag needs, asked again only after cacheMs', async () => {
    const { pubsub, calls } = stub({ createSnapshot: () => grpc(7, 'permission denied') });
    const reader = new PubsubLagReader(pubsub, options, silentLogger, false);
    for (let i = 0; i < 3; i++) {
      await expect(reader.lag('orders', 'billing')).rejects.toMatchObject({
        kind: 'auth',
        message: expect.stringMatching(/pubsub\.snapshots\.create/),
      });
    }
    expect(calls.map((c) => c.method)).toEqual(['createSnapshot']);
    const { pubsub: again, calls: asked } = stub({ createSnapshot: () => grpc(7, 'permission denied') });
    const short = new PubsubLagReader(again, { ...options, cacheMs: 50 }, silentLogger, false);
    await expect(short.lag('orders', 'billing')).rejects.toMatchObject({ kind: 'auth' });
    await new Promise((r) => setTimeout(r, 80));
    await expect(short.lag('orders', 'billing')).rejects.toMatchObject({ kind: 'auth' });
    expect(asked.map((c) => c.method)).toEqual(['createSnapshot', 'createSnapshot']);
  });

  it('a scan stopped by its deadline is a truncated lower bound, and what it pulled is counted once', async () => {
    let pulls = 0;
    const message = (id: number) => ({
      ackId: `a${id}`,
      message: { messageId: `m${id}`, publishTime: { seconds: 1_700_000_000 + id, nanos: 0 } },
    });
    const { pubsub } = stub({
      // every Pull returns two new messages and one already seen, slowly; the reading's deadline stops it
      pull: async () => {
        pulls++;
        const n = pulls;
        await new Promise((r) => setTimeout(r, 150));
        return { receivedMessages: [message(n * 2), message(n * 2 + 1), message(1)] };
      },
    });
    const reader = new PubsubLagReader(pubsub, { ...options, timeoutMs: 600 }, silentLogger, false);
    const [p] = await reader.lag('orders', 'billing');
    expect(p?.truncated).toBe(true);
    expect(pulls).toBeGreaterThanOrEqual(2);
    expect(p?.lag).toBe(2 * pulls + 1); // m1 once, then two new ids per Pull
    expect(p?.ageSeconds).toBeGreaterThan(0);
  });
});
