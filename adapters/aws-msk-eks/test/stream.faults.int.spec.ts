/**
 * Bad input and faults against the real Kafka peer (and moto for msk://): every failure is a typed speedlayer
 * error that says what went wrong, retriable only where retrying can help, never carrying a credential.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { CreateClusterCommand, KafkaClient } from '@aws-sdk/client-kafka';
import { type ConsumedMessage, connect, isSpeedlayerError, type PortableStreamClient, type StreamClient } from '@speedlayer/core';
import { uniqueName, waitFor } from '@speedlayer/testing';
import { describePeer, injectPeers } from '@speedlayer/testing/peers/vitest';
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

describePeer('kafka', 'aws-msk-eks stream faults', (kafka) => {
  const fast = { retries: 1, initialRetryMs: 100, connectionTimeoutMs: 1000 };
  let client: StreamClient;

  beforeAll(async () => {
    client = await connect(`kafka://${kafka.bootstrap}`);
  });
  afterAll(async () => {
    await client?.close();
  });

  describe('connection', () => {
    it('unreachable brokers: a retriable ConnectionError naming the brokers', async () => {
      const e = await failure(connect('kafka://127.0.0.1:1,127.0.0.1:2', { config: fast }));
      expect(e).toMatchObject({ kind: 'connection', retriable: true, target: 'kafka' });
      expect(e.message).toContain('127.0.0.1:1');
    });

    it('wrong SASL password: a non-retriable AuthError without the password', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'speedlayer-msk-'));
      const wrong = join(dir, 'wrong.password');
      writeFileSync(wrong, 'definitely-not-the-password', { mode: 0o600 });
      const e = await failure(
        connect(`kafka://${kafka.saslSsl}`, {
          config: { ...fast, caFile: kafka.caFile, sasl: { mechanism: 'plain', username: 'alice', password: `file:${wrong}` } },
        }),
      );
      expect(e).toMatchObject({ kind: 'auth', retriable: false });
      expect(e.message).not.toContain('definitely-not-the-password');
      expect(e.message).toContain(kafka.saslSsl);
    });

    it('TLS without the cluster CA: a non-retriable ConnectionError pointing at caFile', async () => {
      const password = `file:${kafka.plainUsers.alice.passwordFile}`;
      const e = await failure(
        connect(`kafka://${kafka.saslSsl}`, {
          config: { ...fast, tls: true, sasl: { mechanism: 'plain', username: 'alice', password } },
        }),
      );
      expect(e).toMatchObject({ kind: 'connection', retriable: false });
      expect(e.message).toMatch(/TLS/);
      expect(e.message).toContain('caFile');
      expect(e.message).not.toContain(readFileSync(kafka.plainUsers.alice.passwordFile, 'utf8').trim());
    });

    it('a connected SASL_SSL client never prints its password (util.inspect, JSON)', async () => {
      const password = readFileSync(kafka.plainUsers.alice.passwordFile, 'utf8').trim();
      const c = await connect(`kafka://${kafka.saslSsl}`, {
        config: {
          caFile: kafka.caFile,
          sasl: { mechanism: 'plain', username: 'alice', password: `file:${kafka.plainUsers.alice.passwordFile}` },
        },
      });
      try {
        expect(inspect(c, { depth: 20, showHidden: true }).includes(password), 'password in util.inspect(client)').toBe(false);
        // the driver under the client holds kafkajs objects with cycles: serialise everything reachable once
        const seen = new WeakSet<object>();
        const json = JSON.stringify(c, (_k, v: unknown) => {
          if (typeof v === 'object' && v !== null) {
            if (seen.has(v)) return undefined;
            seen.add(v);
          }
          return v;
        });
        expect(json.includes(password), 'password in JSON').toBe(false);
        // connect() returns the portable client; the Kafka driver under it must not show the password either
        const driver = (c as PortableStreamClient).driverInstance;
        expect(inspect(driver, { depth: 20, showHidden: true }).includes(password), 'password in util.inspect(driver)').toBe(
          false,
        );
        expect((driver as unknown as { security: string }).security).toBe('SASL_SSL/PLAIN');
      } finally {
        await c.close();
      }
    });

    it('a literal password is refused before connecting', async () => {
      const e = await failure(
        connect(`kafka://${kafka.saslSsl}`, { config: { sasl: { mechanism: 'plain', username: 'alice', password: 'hunter2' } } }),
      );
      expect(e).toMatchObject({ kind: 'config', field: 'sasl.password', retriable: false });
      expect(e.message).not.toContain('hunter2');
    });

    it('OAUTHBEARER with an unsecured JWT (the peer’s dev validator) produces and consumes', async () => {
      const c = await connect(`kafka://${kafka.oauthbearer}`, {
        config: { sasl: { mechanism: 'oauthbearer', unsecuredJwtSubject: 'alice' } },
      });
      try {
        const topic = uniqueName('oauth');
        await c.admin.ensureTopic(topic, { partitions: 2 });
        const p = c.producer();
        await p.send(topic, [{ key: 'k', value: 'over-oauthbearer' }]);
        await p.close();
        const got: ConsumedMessage[] = [];
        const s = await c.subscribe({ topic, group: uniqueName('g'), sessionTimeoutMs: 6000 }, (m) => {
          got.push(m);
        });
        await waitFor(() => got.length === 1, 'the message over OAUTHBEARER', 60_000);
        await s.close();
        expect(Buffer.from(got[0]?.value ?? []).toString()).toBe('over-oauthbearer');
      } finally {
        await c.close();
      }
    });
  });

  describe('topics', () => {
    it('a topic with fewer partitions than asked: ensureTopic reports what it has; a send to a missing partition and a shrink are ValidationErrors', async () => {
      const topic = uniqueName('few');
      await client.admin.ensureTopic(topic, { partitions: 2 });
      const info = await client.admin.ensureTopic(topic, { partitions: 4 });
      expect(info.partitions).toBe(2);
      const producer = client.producer();
      const e = await failure(
        producer.send(topic, [
          { key: 'a', value: 'first' },
          { value: 'to-p3', partition: 3 },
        ]),
      );
      expect(e).toMatchObject({ kind: 'validation', retriable: false, field: 'records[1].partition' });
      expect(e.message).toContain(`topic ${topic} has 2 partitions`);
      const shrink = await failure(client.admin.growPartitions(topic, 1));
      expect(shrink).toMatchObject({ kind: 'validation', field: 'partitions' });
      expect(shrink.message).toContain('has 2 partitions');
      // nothing of the refused batch was sent
      await producer.send(topic, [{ key: 'a', value: 'marker' }]);
      await producer.close();
      const got: string[] = [];
      const s = await client.subscribe({ topic, group: uniqueName('g'), sessionTimeoutMs: 6000 }, (m) => {
        got.push(Buffer.from(m.value).toString());
      });
      await waitFor(() => got.length >= 1, 'the marker', 60_000);
      await new Promise((r) => setTimeout(r, 300));
      await s.close();
      expect(got).toEqual(['marker']);
    });

    it('a missing topic: NotFoundError on send, subscribe and describe', async () => {
      const topic = uniqueName('missing');
      const producer = client.producer();
      expect(await failure(producer.send(topic, [{ key: 'k', value: 'v' }]))).toMatchObject({
        kind: 'not-found',
        retriable: false,
      });
      await producer.close();
      expect(await failure(client.subscribe({ topic, group: 'g' }, () => {}))).toMatchObject({ kind: 'not-found' });
      const d = await failure(client.admin.describeTopic(topic));
      expect(d).toMatchObject({ kind: 'not-found' });
      expect(d.message).toContain(topic);
    });

    it('a session timeout below the broker minimum: a ConfigError naming sessionTimeoutMs', async () => {
      const topic = uniqueName('session');
      await client.admin.ensureTopic(topic, { partitions: 1 });
      const e = await failure(client.subscribe({ topic, group: uniqueName('g'), sessionTimeoutMs: 1000 }, () => {}));
      expect(e).toMatchObject({ kind: 'config', field: 'sessionTimeoutMs' });
    }, 60_000);
  });
});

describePeer('moto', 'aws-msk-eks msk:// against moto', (moto) => {
  const saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    for (const k of ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']) saved[k] = process.env[k];
    process.env.AWS_ENDPOINT_URL = moto.endpoint;
    process.env.AWS_ACCESS_KEY_ID = 'testing';
    process.env.AWS_SECRET_ACCESS_KEY = 'testing';
    process.env.AWS_REGION = moto.region;
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('GetBootstrapBrokers is not implemented by moto: a clear UnsupportedError saying so', async () => {
    const aws = new KafkaClient({ region: moto.region });
    const created = await aws.send(
      new CreateClusterCommand({
        ClusterName: uniqueName('msk'),
        KafkaVersion: '3.9.x',
        NumberOfBrokerNodes: 3,
        BrokerNodeGroupInfo: { InstanceType: 'kafka.m7g.large', ClientSubnets: ['subnet-1', 'subnet-2', 'subnet-3'] },
      }),
    );
    aws.destroy();
    const arn = created.ClusterArn ?? '';
    expect(arn).toMatch(/^arn:aws:kafka:/);
    const e = await failure(connect(`msk://${arn}`));
    expect(e).toMatchObject({ kind: 'unsupported', retriable: false, target: 'aws-msk-eks' });
    expect(e.message).toContain('GetBootstrapBrokers');
    expect(e.message).toContain(moto.endpoint);
  });

  it('msk:// with bootstrapBrokers given reaches the brokers without GetBootstrapBrokers', async () => {
    const kafka = injectPeers().kafka;
    if (!kafka) return;
    const c = await connect('msk://arn:aws:kafka:us-east-1:123456789012:cluster/local/0b1c2d3e-aaaa-bbbb-cccc-1234567890ab-1', {
      config: { bootstrapBrokers: kafka.bootstrap, tls: false },
    });
    expect(c.target).toBe('aws-msk-eks');
    expect(Array.isArray(await c.admin.listTopics())).toBe(true);
    await c.close();
  });
});
