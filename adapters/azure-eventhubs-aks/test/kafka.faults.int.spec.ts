/**
 * Faults and Event Hubs rules of the `eventhubs+kafka://` transport against the real Kafka peer's SASL_SSL
 * listener (user `$ConnectionString`, an Event-Hubs-style connection string as password, the peer's CA): every
 * failure is a typed error of this target, retriable only where retrying can help, never carrying the connection
 * string or its key; Event Hubs' limits are enforced before anything of a batch is sent.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { connect, isSpeedlayerError, type PortableStreamClient, type StreamClient, utf8 } from '@speedlayer/core';
import { Collector, uniqueName } from '@speedlayer/testing';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

async function failure(p: Promise<unknown>): Promise<Record<string, unknown> & Error> {
  try {
    await p;
  } catch (e) {
    expect(isSpeedlayerError(e), String(e)).toBe(true);
    return e as Record<string, unknown> & Error;
  }
  throw new Error('expected a failure');
}

describePeer('kafka', 'azure-eventhubs-aks eventhubs+kafka faults', (kafka, all) => {
  const fast = { retries: 1, initialRetryMs: 100, connectionTimeoutMs: 2000 };
  const connectionString = readFileSync(kafka.connectionStringFile, 'utf8').trim();
  const key = /SharedAccessKey=([^;]+)/.exec(connectionString)?.[1] ?? '';
  const uri = all.streams['eventhubs+kafka'] ?? '';
  const base = `eventhubs+kafka://${kafka.saslSsl}`;
  let client: StreamClient;

  const noSecret = (text: string, what: string) => {
    expect(key.length, 'the peer connection string has a key').toBeGreaterThan(20);
    expect(text.includes(key), `key in ${what}`).toBe(false);
    expect(text.includes(connectionString), `connection string in ${what}`).toBe(false);
  };

  beforeAll(async () => {
    client = await connect(uri);
  });
  afterAll(async () => {
    await client?.close();
  });

  describe('connection', () => {
    it('connects with target azure-eventhubs-aks over SASL_SSL/PLAIN, and never shows the connection string', async () => {
      expect(client.target).toBe('azure-eventhubs-aks');
      // connect() returns the portable client; the Event Hubs Kafka-endpoint driver is under it
      const driver = (client as PortableStreamClient).driverInstance as unknown as {
        security: string;
        describe(): Record<string, unknown>;
      };
      expect(driver.security).toBe('SASL_SSL/PLAIN');
      noSecret(inspect(driver, { depth: 20, showHidden: true }), 'util.inspect(driver)');
      noSecret(inspect(client, { depth: 20, showHidden: true }), 'util.inspect(client)');
      noSecret(JSON.stringify({ ...client, admin: undefined }), 'JSON of the client');
      const described = driver.describe();
      expect(described).toMatchObject({
        tier: 'standard',
        maxPartitions: 32,
        transport: 'kafka',
        sharedAccessKeyName: 'speedlayer',
      });
      noSecret(JSON.stringify(described), 'describe()');
      const p = client.producer();
      noSecret(inspect(p, { depth: 20, showHidden: true }), 'util.inspect(producer)');
      await p.close();
    });

    it('a wrong connection string: a non-retriable AuthError without the key or the string', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'speedlayer-ehk-'));
      const wrongKey = Buffer.from('definitely-not-the-key-of-this-namespace').toString('base64');
      const file = join(dir, 'wrong');
      writeFileSync(file, `Endpoint=sb://127.0.0.1/;SharedAccessKeyName=speedlayer;SharedAccessKey=${wrongKey}`, {
        mode: 0o600,
      });
      const e = await failure(connect(`${base}?connectionString=file:${file}&caFile=${kafka.caFile}`, { config: fast }));
      expect(e).toMatchObject({ kind: 'auth', retriable: false, target: 'azure-eventhubs-aks' });
      expect(e.message).not.toContain(wrongKey);
      noSecret(e.message, 'the AuthError');
      expect(inspect(e, { depth: 10 })).not.toContain(wrongKey);
      expect(e.message).toContain(kafka.saslSsl);
    });

    it('a literal connection string is refused before connecting, naming connectionString', async () => {
      const e = await failure(connect(base, { config: { connectionString, caFile: kafka.caFile } }));
      expect(e).toMatchObject({ kind: 'config', field: 'connectionString', retriable: false });
      noSecret(e.message, 'the ConfigError');
    });

    it('the peer’s connection string for a namespace URI: a ConfigError on the namespace mismatch', async () => {
      const e = await failure(connect(`eventhubs+kafka://orders-namespace?connectionString=file:${kafka.connectionStringFile}`));
      expect(e).toMatchObject({ kind: 'config', field: 'connectionString' });
      expect(e.message).toContain('sb://127.0.0.1/');
      expect(e.message).toContain('orders-namespace.servicebus.windows.net');
      noSecret(e.message, 'the ConfigError');
    });

    it('TLS without the CA: a non-retriable ConnectionError pointing at caFile', async () => {
      const e = await failure(connect(`${base}?connectionString=file:${kafka.connectionStringFile}`, { config: fast }));
      expect(e).toMatchObject({ kind: 'connection', retriable: false, target: 'azure-eventhubs-aks' });
      expect(e.message).toContain('caFile');
      noSecret(e.message, 'the ConnectionError');
    });
  });

  describe('Event Hubs limits', () => {
    it('an oversize event (1 MB, which the broker itself would take) is refused before anything of its batch is sent', async () => {
      const topic = uniqueName('ehk-big');
      await client.admin.ensureTopic(topic, { partitions: 1 });
      const producer = client.producer();
      const oneMb = new Uint8Array(1024 * 1024 - 100); // below the broker's message.max.bytes, above the endpoint's request limit
      const e = await failure(
        producer.send(topic, [
          { key: 'k', value: 'before' },
          { key: 'k', value: oneMb },
          { key: 'k', value: 'after' },
        ]),
      );
      expect(e).toMatchObject({
        kind: 'message-too-large',
        retriable: false,
        field: 'records[1]',
        index: 1,
        target: 'azure-eventhubs-aks',
      });
      await producer.send(topic, [{ key: 'k', value: 'marker' }]);
      await producer.close();
      const col = new Collector();
      const s = await client.subscribe({ topic, group: uniqueName('g'), sessionTimeoutMs: 6000 }, col.handler('m'));
      await col.waitForUnique(1, 60_000);
      await new Promise((r) => setTimeout(r, 500));
      await s.close();
      expect([...col.unique()]).toEqual(['marker']);
    });

    it('a 2.2 MB batch for one key (over the 1,046,528-byte request limit) arrives in order with consecutive offsets', async () => {
      const topic = uniqueName('ehk-split');
      await client.admin.ensureTopic(topic, { partitions: 2 });
      const producer = client.producer();
      const values = Array.from({ length: 5 }, (_, i) => `${i}:${'x'.repeat(450_000)}`);
      const meta = await producer.send(
        topic,
        values.map((value) => ({ key: 'one-key', value })),
      );
      await producer.close();
      expect(new Set(meta.map((m) => m.partition)).size).toBe(1);
      const offsets = meta.map((m) => Number(m.position));
      expect(offsets).toEqual(offsets.map((_, i) => (offsets[0] ?? 0) + i));
      const got: string[] = [];
      const s = await client.subscribe({ topic, group: uniqueName('g'), sessionTimeoutMs: 6000 }, (m) => {
        got.push(utf8(m.value).split(':')[0] ?? '');
      });
      const deadline = Date.now() + 60_000;
      while (got.length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await s.close();
      expect(got).toEqual(['0', '1', '2', '3', '4']);
    });

    it('a send to a partition the hub does not have: a ValidationError, nothing of the batch sent', async () => {
      const topic = uniqueName('ehk-part');
      await client.admin.ensureTopic(topic, { partitions: 2 });
      // an event hub that exists is only described: asking for more partitions does not change it
      expect((await client.admin.ensureTopic(topic, { partitions: 4 })).partitions).toBe(2);
      const producer = client.producer();
      const e = await failure(
        producer.send(topic, [
          { key: 'a', value: 'first' },
          { value: 'to-p3', partition: 3 },
        ]),
      );
      expect(e).toMatchObject({ kind: 'validation', field: 'records[1].partition', target: 'azure-eventhubs-aks' });
      await producer.send(topic, [{ key: 'a', value: 'marker' }]);
      await producer.close();
      const col = new Collector();
      const s = await client.subscribe({ topic, group: uniqueName('g'), sessionTimeoutMs: 6000 }, col.handler('m'));
      await col.waitForUnique(1, 60_000);
      await new Promise((r) => setTimeout(r, 500));
      await s.close();
      expect([...col.unique()]).toEqual(['marker']);
    });

    it('standard: 33 partitions and partition growth are refused; nothing is created', async () => {
      const topic = uniqueName('ehk-tier');
      const e = await failure(client.admin.ensureTopic(topic, { partitions: 33 }));
      expect(e).toMatchObject({ kind: 'validation', field: 'partitions', target: 'azure-eventhubs-aks' });
      // declared as the descriptive limit maxPartitions, so the portable client refuses it before the driver
      expect(e.message).toContain('at most 32 partitions');
      await expect(client.admin.describeTopic(topic)).rejects.toMatchObject({ kind: 'not-found' });
      await client.admin.ensureTopic(topic, { partitions: 32 });
      // 33 is over the tier's maximum (the descriptive limit, checked first); growth itself is unsupported on standard
      expect(await failure(client.admin.growPartitions(topic, 33))).toMatchObject({ kind: 'validation', field: 'partitions' });
      expect(await failure(client.admin.growPartitions(topic, 32))).toMatchObject({ kind: 'unsupported', field: 'partitions' });
      expect((await client.admin.describeTopic(topic)).partitions).toBe(32);
      await client.admin.deleteTopic(topic);
    });

    it('premium: up to 100 partitions, and growth works (the CreatePartitions path, on the real broker)', async () => {
      const premium = await connect(uri, { config: { tier: 'premium' } });
      try {
        expect(premium.capabilities.partitionGrowth).toBe(true);
        const topic = uniqueName('ehk-premium');
        expect(await failure(premium.admin.ensureTopic(topic, { partitions: 101 }))).toMatchObject({ field: 'partitions' });
        await premium.admin.ensureTopic(topic, { partitions: 40 });
        expect((await premium.admin.growPartitions(topic, 48)).partitions).toBe(48);
        expect(await failure(premium.admin.growPartitions(topic, 101))).toMatchObject({ field: 'partitions' });
        await premium.admin.deleteTopic(topic);
      } finally {
        await premium.close();
      }
    });

    it('a group id over 255 characters and a session timeout outside 6-300 s are refused, naming the field', async () => {
      const topic = uniqueName('ehk-group');
      await client.admin.ensureTopic(topic, { partitions: 1 });
      // the portable client's option check (255 characters on every target) comes first
      expect(await failure(client.subscribe({ topic, group: 'g'.repeat(257) }, () => {}))).toMatchObject({
        kind: 'validation',
        field: 'options.group',
      });
      expect(await failure(client.subscribe({ topic, group: 'g', sessionTimeoutMs: 301_000 }, () => {}))).toMatchObject({
        kind: 'config',
        field: 'sessionTimeoutMs',
      });
    });

    it('errors raised inside the Kafka adapter carry this target: a missing event hub', async () => {
      const topic = uniqueName('ehk-missing');
      const producer = client.producer();
      expect(await failure(producer.send(topic, [{ key: 'k', value: 'v' }]))).toMatchObject({
        kind: 'not-found',
        target: 'azure-eventhubs-aks',
      });
      await producer.close();
      expect(await failure(client.subscribe({ topic, group: 'g', sessionTimeoutMs: 6000 }, () => {}))).toMatchObject({
        kind: 'not-found',
        target: 'azure-eventhubs-aks',
      });
    });
  });
});
