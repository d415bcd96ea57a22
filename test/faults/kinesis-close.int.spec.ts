/**
 * Kinesis `close()` time (issue #23 reported ~10 s). A member that owns two shards, has consumed them and sits
 * idle (polling, renewing its leases) is closed through the portable client with the adapter's default timings;
 * `close()` must return in about the time it takes to release its leases (two DynamoDB writes), not after a renew,
 * poll or failover period. Measured on moto at this commit: 59-131 ms (also right after subscribe, for a joining
 * member, and for a client with a producer); the ~10 s did not reproduce, so this guards against a regression.
 *
 * Run: `SPEEDLAYER_PEERS=moto npx vitest run --project int test/faults/kinesis-close.int.spec.ts`.
 */
import { connect } from '@speedlayer/core';
import { Collector, produceKeyed, uniqueName } from '@speedlayer/testing';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { expect, it } from 'vitest';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE ??= '1';

describePeer('moto', 'kinesis close time', (moto) => {
  it('close() of an idle member with two shards takes well under a second', async () => {
    const uri = `kinesis://${moto.region}?endpoint=${encodeURIComponent(moto.endpoint)}`;
    const c = await connect(uri);
    const topic = uniqueName('close');
    await c.admin.ensureTopic(topic, { partitions: 2 });
    await produceKeyed(c, topic, 100, 10);
    const col = new Collector();
    const s = await c.subscribe({ topic, group: uniqueName('g') }, col.handler('m'));
    await col.waitForUnique(100, 60_000);
    await new Promise((r) => setTimeout(r, 4000)); // idle past one lease renewal (failoverTimeMs / 3 = 3.3 s)
    const t0 = Date.now();
    await s.close();
    const subscriptionMs = Date.now() - t0;
    const t1 = Date.now();
    await c.close();
    const clientMs = Date.now() - t1;
    console.info(`[kinesis close] ${JSON.stringify({ subscriptionMs, clientMs })}`);
    expect(subscriptionMs + clientMs).toBeLessThan(1000);
  }, 120_000);
});
