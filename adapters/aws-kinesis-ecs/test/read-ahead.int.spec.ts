/**
 * Read-ahead is bounded by bytes, not only by record count (issue #23): with a handler stuck on the first record,
 * a shard of 20 KiB records is fetched only up to `maxBufferedBytesPerShard` (plus the first, 10-record call that
 * learns the record size). Before: up to 1000 records per shard whatever their size (a 95 MB backlog held whole).
 * The records fetched are counted on the wire, in the GetRecords responses moto returns.
 */
import './env.js';
import { parseUri } from '@speedlayer/core';
import { deferred, uniqueName, waitFor } from '@speedlayer/testing';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { afterAll, expect, it } from 'vitest';
import { createKinesisStreamClient, type RequestHandlerLike } from '../src/stream/index.js';
import { fastConfig, motoUri } from './env.js';
import { FaultInjectingHandler } from './fault-injection.js';

describePeer('moto', 'aws-kinesis-ecs/stream read-ahead on moto', (moto) => {
  const clients: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
  }, 30_000);

  it('a slow handler holds about maxBufferedBytesPerShard of records, not the whole backlog', async () => {
    let fetched = 0;
    const wire = new FaultInjectingHandler({
      rewrite: (target, _call, body) => {
        if (target === 'GetRecords') fetched += ((body.Records as unknown[] | undefined) ?? []).length;
        return body;
      },
    });
    const record = 'x'.repeat(20 * 1024);
    const c = await createKinesisStreamClient(
      parseUri(motoUri(moto)),
      { config: { ...fastConfig, maxBufferedBytesPerShard: 100 * 1024 } },
      { kinesisRequestHandler: wire as unknown as RequestHandlerLike },
    );
    clients.push(c);
    const topic = uniqueName('readahead');
    await c.admin.ensureTopic(topic, { partitions: 1 });
    const producer = c.producer();
    for (let i = 0; i < 6; i++) {
      await producer.send(
        topic,
        Array.from({ length: 10 }, (_, j) => ({ key: 'k', value: `${i * 10 + j}:${record}` })),
      );
    }
    const release = deferred();
    let handled = 0;
    const sub = await c.subscribe({ topic, group: uniqueName('g'), startFrom: 'earliest' }, async () => {
      await release.promise;
      handled++;
    });
    await waitFor(() => fetched > 0, 'the first GetRecords', 30_000);
    // many poll intervals with the handler stuck: nothing more may be fetched past the bound
    await new Promise((r) => setTimeout(r, 1500));
    const heldWhileStuck = fetched;
    release.resolve();
    await waitFor(() => handled >= 60, 'all 60 records handled once released', 60_000);
    await sub.close();
    console.info(
      `[kinesis read-ahead] ${JSON.stringify({ produced: 60, recordBytes: record.length, boundBytes: 100 * 1024, heldWhileStuck, handled })}`,
    );
    // 10 records learnt the size (200 KiB, over the 100 KiB bound): no further call until the buffer drained below it
    expect(heldWhileStuck).toBeLessThanOrEqual(10);
    expect(handled).toBe(60);
  }, 120_000);
});
