/**
 * Unit tests of the `eventhubs://` (AMQP) transport: config (secret references, namespace parsing, tiers), the
 * partition-key hash (checked against `@azure/event-hubs`' own implementation), routing, the event <-> message
 * mapping, the error table, and the admin/subscribe refusals that need no server.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ReceivedEventData } from '@azure/event-hubs';
import { type ProducerRecord, parseUri } from '@speedlayer/core';
import { describe, expect, it } from 'vitest';
import { sharedAccessSignature } from '../src/amqp/client.js';
import {
  createEventHubsAmqpClient,
  eventHubsAmqpCapabilities,
  eventHubsAmqpConfigJsonSchema,
  mapAmqpError,
  mapStorageError,
  parseNamespace,
  partitionForKey,
  resolveEventHubsAmqpConfig,
} from '../src/amqp/index.js';
import { KEY_PROPERTY, routeRecords, TIMESTAMP_PROPERTY, toEventData } from '../src/amqp/producer.js';
import { eventPosition, toConsumedMessage } from '../src/amqp/subscription.js';

const SECRET = 'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=c2VjcmV0LWtleS12YWx1ZQ==';

describe('eventhubs amqp config', () => {
  it('refuses a literal connection string, naming the field and never echoing it', () => {
    let err: unknown;
    try {
      resolveEventHubsAmqpConfig(parseUri('eventhubs://ns'), { connectionString: SECRET });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ kind: 'config', field: 'connectionString' });
    expect(String((err as Error).message)).not.toContain('c2VjcmV0');
    expect(String((err as Error).message)).not.toContain('SharedAccessKey=');
  });

  it('refuses a literal checkpoint-store connection string in the URI query without echoing it', () => {
    const uri = parseUri(
      `eventhubs://ns?checkpointStore.container=ckpt&checkpointStore.connectionString=${encodeURIComponent('AccountKey=abc123')}`,
    );
    let err: unknown;
    try {
      resolveEventHubsAmqpConfig(uri);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ kind: 'config', field: 'checkpointStore.connectionString' });
    expect(String((err as Error).message)).not.toContain('abc123');
  });

  it('reads dotted query keys into nested config, with numbers and booleans converted', () => {
    const c = resolveEventHubsAmqpConfig(
      parseUri(
        'eventhubs://ns?connectionString=env:EH&tier=basic&updateIntervalMs=250&checkpointStore.container=ckpt&checkpointStore.connectionString=file:/x&checkpointStore.createContainer=true',
      ),
      { checkpointStore: { container: 'other' } },
    );
    expect(c.tier).toBe('basic');
    expect(c.updateIntervalMs).toBe(250);
    expect(c.checkpointStore).toEqual({ container: 'other', connectionString: 'file:/x', createContainer: true });
    expect(c.keyRouting).toBe('service');
  });

  it('names the field of an invalid container and an unknown key', () => {
    expect(() => resolveEventHubsAmqpConfig(parseUri('eventhubs://ns'), { checkpointStore: { container: 'Bad_Name' } })).toThrow(
      expect.objectContaining({ field: 'checkpointStore.container' }),
    );
    expect(() => resolveEventHubsAmqpConfig(parseUri('eventhubs://ns'), { nope: 1 })).toThrow(
      expect.objectContaining({ field: 'nope' }),
    );
  });

  it('exports a JSON Schema of its fields', () => {
    const schema = eventHubsAmqpConfigJsonSchema() as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['connectionString', 'tier', 'checkpointStore', 'management', 'ownershipExpirationMs']),
    );
  });

  it('turns a bare namespace into its servicebus.windows.net host and keeps hosts and ports', () => {
    expect(parseNamespace('my-ns')).toEqual({ fullyQualifiedNamespace: 'my-ns.servicebus.windows.net', name: 'my-ns' });
    expect(parseNamespace('My-NS.servicebus.windows.net/')).toEqual({
      fullyQualifiedNamespace: 'my-ns.servicebus.windows.net',
      name: 'my-ns',
    });
    expect(parseNamespace('127.0.0.1:5672')).toMatchObject({ fullyQualifiedNamespace: '127.0.0.1', port: 5672 });
    expect(() => parseNamespace('a b')).toThrow(expect.objectContaining({ field: 'uri' }));
  });
});

describe('eventhubs amqp capabilities by tier', () => {
  const caps = (tier: string) => eventHubsAmqpCapabilities(resolveEventHubsAmqpConfig(parseUri('eventhubs://ns'), { tier }));
  it('allows 256 KB events on basic and 1 MB on the others', () => {
    expect(caps('basic').maxMessageBytes).toBe(262_144);
    expect(caps('standard').maxMessageBytes).toBe(1_048_576);
    expect(caps('premium').maxMessageBytes).toBe(1_048_576);
  });
  it('grows partitions only on premium and dedicated', () => {
    expect(caps('basic').partitionGrowth).toBe(false);
    expect(caps('standard').partitionGrowth).toBe(false);
    expect(caps('premium').partitionGrowth).toBe(true);
    expect(caps('dedicated').partitionGrowth).toBe(true);
  });
});

describe('eventhubs partition-key hash', () => {
  it('matches the mapping @azure/event-hubs uses for partition keys (its buffered producer)', async () => {
    // The SDK does not export it; load its module file directly (test only).
    const require = createRequire(import.meta.url);
    const pkg = require.resolve('@azure/event-hubs/package.json');
    const file = join(dirname(pkg), 'dist', 'esm', 'impl', 'partitionKeyToIdMapper.js');
    const sdk = (await import(pathToFileURL(file).href)) as { mapPartitionKeyToId(k: string, n: number): number };
    const keys = ['', 'a', 'ab', 'abc', 'abcd', 'customer-1', 'x'.repeat(11), 'y'.repeat(12), 'z'.repeat(13), 'ünïcødé ✓'];
    for (let i = 0; i < 300; i++) keys.push(`key-${i}-${'q'.repeat(i % 29)}`);
    for (const n of [1, 2, 3, 4, 7, 32, 100, 1024]) {
      for (const k of keys) expect(partitionForKey(k, n), `${k} / ${n}`).toBe(sdk.mapPartitionKeyToId(k, n));
    }
  });
});

describe('eventhubs routing', () => {
  const ids = ['0', '1', '2', '3'];
  it('sends keyed records with their partition key (service hashing) and predicts the partition', () => {
    const routes = routeRecords(
      [
        { key: 'k1', value: 'a' },
        { key: 'k1', value: 'b' },
      ],
      ids,
      'service',
      0,
    );
    expect(routes[0]).toEqual({ lane: 'k:k1', partition: partitionForKey('k1', 4), batch: { partitionKey: 'k1' } });
    expect(routes[1]?.lane).toBe('k:k1');
  });
  it('sends keyed records to the hashed partition id in client mode', () => {
    const [r] = routeRecords([{ key: 'k1', value: 'a' }], ids, 'client', 0);
    const p = partitionForKey('k1', 4);
    expect(r).toEqual({ lane: `p:${p}`, partition: p, batch: { partitionId: String(p) } });
  });
  it('keeps records without key on one partition per call and honours an explicit partition', () => {
    const routes = routeRecords(
      [{ value: 'a' }, { key: null, value: 'b' }, { key: 'k', value: 'c', partition: 3 }],
      ids,
      'service',
      6,
    );
    expect(routes.map((r) => r.partition)).toEqual([2, 2, 3]);
    expect(routes[2]?.batch).toEqual({ partitionId: '3' });
  });
  it('refuses a partition the hub does not have, naming the record', () => {
    expect(() => routeRecords([{ value: 'a' }, { value: 'b', partition: 4 }], ids, 'service', 0)).toThrow(
      expect.objectContaining({ kind: 'validation', field: 'records[1].partition' }),
    );
  });
});

describe('eventhubs event mapping', () => {
  const received = (e: Partial<ReceivedEventData>): ReceivedEventData =>
    ({
      body: Buffer.from('v'),
      properties: {},
      enqueuedTimeUtc: new Date(1_700_000_000_500),
      partitionKey: null,
      offset: '10',
      sequenceNumber: 7,
      systemProperties: {},
      ...e,
    }) as ReceivedEventData;

  it('round-trips value bytes, headers, key and timestamp (client mode)', () => {
    const record: ProducerRecord = {
      key: 'k',
      value: new Uint8Array([0, 1, 255]),
      headers: { a: 'b' },
      timestamp: 1_700_000_000_000,
    };
    const event = toEventData(record, 'client');
    expect(event.properties).toEqual({ a: 'b', [KEY_PROPERTY]: 'k', [TIMESTAMP_PROPERTY]: '1700000000000' });
    const m = toConsumedMessage('t', 2, received({ body: event.body, properties: event.properties as Record<string, unknown> }));
    expect([...m.value]).toEqual([0, 1, 255]);
    expect(m).toMatchObject({
      topic: 't',
      partition: 2,
      position: '7',
      key: 'k',
      headers: { a: 'b' },
      timestamp: 1_700_000_000_000,
    });
  });

  it('uses the partition key, and the enqueued time when the record had no timestamp', () => {
    const event = toEventData({ key: 'k', value: 'x' }, 'service');
    expect(event.properties).toBeUndefined();
    const m = toConsumedMessage('t', 0, received({ partitionKey: 'k' }));
    expect(m.key).toBe('k');
    expect(m.timestamp).toBe(1_700_000_000_500);
    expect(toConsumedMessage('t', 0, received({})).key).toBeNull();
  });

  it('turns non-string application properties of other producers into strings', () => {
    const m = toConsumedMessage('t', 0, received({ properties: { n: 5, b: true, d: new Date(0) } }));
    expect(m.headers).toEqual({ n: '5', b: 'true', d: '1970-01-01T00:00:00.000Z' });
  });

  it('maps start positions', () => {
    expect(eventPosition('earliest')).toEqual({ offset: '-1' });
    expect(eventPosition(undefined)).toEqual({ offset: '-1' });
    expect(eventPosition('latest')).toEqual({ offset: '@latest' });
    expect(eventPosition({ timestamp: 5 })).toEqual({ enqueuedOn: new Date(5) });
  });
});

describe('eventhubs error table', () => {
  const ctx = { op: 'send', namespace: 'ns.servicebus.windows.net', topic: 'orders' };
  it.each([
    ['MessagingEntityNotFoundError', 'not-found', false],
    ['UnauthorizedError', 'auth', false],
    ['ServerBusyError', 'throttled', true],
    ['ServiceUnavailableError', 'timeout', true],
    ['QuotaExceededError', 'conflict', true],
    ['ReceiverDisconnectedError', 'conflict', true],
    ['MessageTooLargeError', 'validation', false],
  ])('maps %s to %s', (code, kind, retriable) => {
    const e = Object.assign(new Error(`boom SharedAccessKey=abc sig=xyz`), { code });
    const mapped = mapAmqpError(e, ctx);
    expect(mapped).toMatchObject({ kind, retriable });
    expect(mapped.message).not.toContain('abc');
    expect(mapped.message).not.toContain('xyz');
  });

  it('maps a missing checkpoint container to NotFoundError naming checkpointStore.container', () => {
    const e = Object.assign(new Error('The specified container does not exist.'), {
      name: 'RestError',
      statusCode: 404,
      details: { errorCode: 'ContainerNotFound' },
    });
    expect(mapStorageError(e, 'checkpoint', 'ckpt')).toMatchObject({ kind: 'not-found', field: 'checkpointStore.container' });
  });
});

describe('eventhubs client without a server', () => {
  const env = 'SPEEDLAYER_TEST_EH_CS';

  it('reports a missing environment variable of the connection-string reference', async () => {
    delete process.env[env];
    await expect(
      createEventHubsAmqpClient(parseUri('eventhubs://ns'), { config: { connectionString: `env:${env}` } }),
    ).rejects.toMatchObject({ kind: 'config', field: 'connectionString' });
  });

  it('refuses admin that needs the management plane, and growth on standard', async () => {
    process.env[env] = SECRET;
    const c = await createEventHubsAmqpClient(parseUri('eventhubs://ns'), { config: { connectionString: `env:${env}` } });
    try {
      await expect(c.admin.listTopics()).rejects.toMatchObject({ kind: 'unsupported', field: 'management' });
      await expect(c.admin.deleteTopic('orders')).rejects.toMatchObject({ kind: 'unsupported', field: 'management' });
      await expect(c.admin.growPartitions('orders', 8)).rejects.toMatchObject({ kind: 'unsupported' });
      await expect(c.admin.ensureTopic('orders', { partitions: 33 })).rejects.toMatchObject({
        kind: 'validation',
        field: 'partitions',
      });
      await expect(c.subscribe({ topic: 'orders', group: 'g' }, () => {})).rejects.toMatchObject({
        kind: 'config',
        field: 'checkpointStore',
      });
      await expect(c.producer().send('orders', [{ value: 'x', headers: { [KEY_PROPERTY]: 'k' } }])).rejects.toMatchObject({
        kind: 'validation',
        field: `records[0].headers.${KEY_PROPERTY}`,
      });
      await expect(c.producer().send('orders', [{ value: 'ok' }, { value: new Uint8Array(1_048_577) }])).rejects.toMatchObject({
        kind: 'message-too-large',
        field: 'records[1]',
      });
    } finally {
      await c.close();
      delete process.env[env];
    }
    await expect(c.admin.describeTopic('orders')).rejects.toMatchObject({ kind: 'closed' });
  });

  it('refuses another hub than the EntityPath of a hub-scoped connection string', async () => {
    process.env[env] = `${SECRET};EntityPath=orders`;
    const c = await createEventHubsAmqpClient(parseUri('eventhubs://ns'), { config: { connectionString: `env:${env}` } });
    try {
      await expect(c.producer().send('payments', [{ value: 'x' }])).rejects.toMatchObject({ kind: 'validation', field: 'topic' });
    } finally {
      await c.close();
      delete process.env[env];
    }
  });

  it('signs a namespace SAS in the Event Hubs format', () => {
    const sas = sharedAccessSignature('sb://127.0.0.1:5672/', 'root', 'k', 1_000_000);
    expect(sas).toMatch(/^SharedAccessSignature sr=sb%3A%2F%2F127\.0\.0\.1%3A5672%2F&sig=[^&]+&se=4600&skn=root$/);
  });
});
