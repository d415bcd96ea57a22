/**
 * Kinesis' user-facing errors through `connect()`: the driver no longer repeats the portable client's checks
 * (record shapes, options, use after close), so these assert that the same typed errors, field named, still come
 * out at the portable level — core's and Kinesis' own (partition key, explicit hash key, raw mode) — and that a
 * record refused by a Kinesis rule fails only its own `send()` when it shares a batch with others.
 */
import './env.js';
import { connect, type PortableProducer, type StreamClient } from '@speedlayer/core';
import { uniqueName } from '@speedlayer/testing';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EXPLICIT_HASH_KEY_HEADER } from '../src/stream/index.js';
import { fastConfig, motoUri } from './env.js';

describePeer('moto', 'aws-kinesis-ecs errors through connect()', (moto) => {
  const uri = motoUri(moto);
  const topic = uniqueName('kin-errors');
  let client: StreamClient;

  beforeAll(async () => {
    client = await connect(uri, { config: { ...fastConfig } });
    await client.admin.ensureTopic(topic, { partitions: 1 });
  });
  afterAll(async () => {
    await client?.admin.deleteTopic(topic).catch(() => {});
    await client?.close();
  });

  it('Kinesis record rules name the field, and a bad record in a coalesced batch fails alone', async () => {
    const producer = client.producer({ lingerMs: 20 });
    await expect(producer.send(topic, { key: 'k'.repeat(257), value: 'v' })).rejects.toMatchObject({
      kind: 'validation',
      retriable: false,
      field: 'records[0].key',
      target: 'aws-kinesis-ecs',
    });
    await expect(producer.send(topic, { key: '', value: 'v' })).rejects.toMatchObject({ field: 'records[0].key' });
    await expect(
      producer.send(topic, { key: 'k', value: 'v', headers: { [EXPLICIT_HASH_KEY_HEADER]: 'not-a-number' } }),
    ).rejects.toMatchObject({ kind: 'validation', field: `records[0].headers.${EXPLICIT_HASH_KEY_HEADER}` });
    // core's record checks, before the driver
    await expect(producer.send(topic, { key: 'k', value: 'v', headers: { h: 1 as unknown as string } })).rejects.toMatchObject({
      kind: 'validation',
      field: 'records[0].headers.h',
    });
    await expect(producer.send('bad topic', { value: 'v' })).rejects.toMatchObject({ kind: 'validation', field: 'topic' });
    // concurrent calls coalesce (lingerMs 20): the over-long key fails its own call only
    const results = await Promise.allSettled([
      producer.send(topic, { key: 'a', value: '1' }),
      producer.send(topic, { key: 'k'.repeat(300), value: '2' }),
      producer.send(topic, { key: 'b', value: '3' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ kind: 'validation', field: 'records[0].key' });
    // the three went out as one driver batch, which the portable batcher split when the driver refused it
    expect((producer as PortableProducer).batchStats()[topic]?.splits).toBeGreaterThan(0);
    await producer.close();
    await expect(producer.send(topic, { key: 'a', value: 'v' })).rejects.toMatchObject({ kind: 'closed' });
  });

  it('headers=raw refuses headers naming the field', async () => {
    const raw = await connect(uri, { config: { ...fastConfig, headers: 'raw' } });
    try {
      await expect(raw.producer().send(topic, { key: 'k', value: 'v', headers: { a: 'b' } })).rejects.toMatchObject({
        kind: 'validation',
        field: 'records[0].headers',
      });
    } finally {
      await raw.close();
    }
  });

  it('subscribe options are checked before any request, and a blank group by the driver', async () => {
    await expect(client.subscribe({ topic, group: '' }, () => {})).rejects.toMatchObject({
      kind: 'validation',
      field: 'options.group',
    });
    await expect(client.subscribe({ topic, group: 'g', startFrom: { timestamp: Number.NaN } }, () => {})).rejects.toMatchObject({
      kind: 'validation',
      field: 'options.startFrom',
    });
    await expect(client.subscribe({ topic, group: 'g' }, 'nope' as never)).rejects.toMatchObject({
      kind: 'validation',
      field: 'handler',
    });
    await expect(client.subscribe({ topic, group: '   ' }, () => {})).rejects.toMatchObject({ kind: 'config', field: 'group' });
  });

  it('every call after close is a ClosedError', async () => {
    const c = await connect(uri, { config: { ...fastConfig } });
    await c.close();
    expect(() => c.producer()).toThrow(expect.objectContaining({ kind: 'closed' }));
    await expect(c.subscribe({ topic, group: 'g' }, () => {})).rejects.toMatchObject({ kind: 'closed' });
    await expect(c.admin.describeTopic(topic)).rejects.toMatchObject({ kind: 'closed' });
    await expect(c.lag(topic, 'g')).rejects.toMatchObject({ kind: 'closed' });
  });
});
