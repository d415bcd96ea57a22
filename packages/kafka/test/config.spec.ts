import { parseUri } from '@speedlayer/core';
import { describe, expect, it } from 'vitest';
import {
  type KafkaDialect,
  kafkaCapabilities,
  kafkaConfigJsonSchema,
  resolveConnection,
  resolveKafkaConfig,
  saslOptions,
  unsecuredJwt,
} from '../src/index.js';

const logger = { debug() {}, info() {}, warn() {}, error() {} };

describe('kafka/config', () => {
  it('applies defaults: 1 MiB-class records, idempotent producer, honest capabilities', () => {
    const config = resolveKafkaConfig(parseUri('kafka://127.0.0.1:9092'));
    expect(config.messageMaxBytes).toBe(1_048_588);
    expect(config.idempotent).toBe(true);
    const caps = kafkaCapabilities(config);
    expect(caps).toMatchObject({
      nativeHeaders: true,
      partitions: true,
      partitionGrowth: true,
      nativeConsumerGroups: true,
      timestampSeek: true,
      idempotentProduce: true,
      nativeDeadLetter: false,
      multiProcess: true,
      durable: true,
    });
    expect(caps.maxMessageBytes).toBe(1_048_588 - 512);
    expect(caps.maxMessageBytes).toBeLessThan(1_048_576);
  });

  it('reads options from the URI query, and config overrides them', () => {
    const uri = parseUri(
      'kafka://b1:9094,b2:9094?tls=true&caFile=/ca.pem&sasl=scram-sha-512&username=u&password=env:PW&retries=2',
    );
    const config = resolveKafkaConfig(uri, { retries: 3 });
    expect(config).toMatchObject({
      tls: true,
      caFile: '/ca.pem',
      retries: 3,
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'env:PW' },
    });
  });

  it('refuses a literal password and names the field', () => {
    expect(() =>
      resolveKafkaConfig(parseUri('kafka://b:9092'), { sasl: { mechanism: 'plain', username: 'u', password: 'hunter2' } }),
    ).toThrow(expect.objectContaining({ kind: 'config', field: 'sasl.password' }));
    try {
      resolveKafkaConfig(parseUri('kafka://b:9092'), { sasl: { mechanism: 'plain', username: 'u', password: 'hunter2' } });
    } catch (e) {
      expect(String((e as Error).message)).not.toContain('hunter2');
    }
  });

  it('refuses unknown fields and bad values with the field named', () => {
    expect(() => resolveKafkaConfig(parseUri('kafka://b:9092'), { nope: 1 })).toThrow(
      expect.objectContaining({ kind: 'config' }),
    );
    expect(() => resolveKafkaConfig(parseUri('kafka://b:9092?retries=x'))).toThrow(
      expect.objectContaining({ kind: 'config', field: 'retries' }),
    );
  });

  it('exports its schema as JSON Schema', () => {
    const schema = kafkaConfigJsonSchema();
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties as object)).toEqual(
      expect.arrayContaining(['caFile', 'sasl', 'messageMaxBytes', 'clientId']),
    );
  });

  it('refuses a kafka:// URI without host:port', async () => {
    const config = resolveKafkaConfig(parseUri('kafka://broker'));
    await expect(resolveConnection(parseUri('kafka://broker'), config, logger)).rejects.toMatchObject({
      kind: 'config',
      field: 'uri',
    });
  });

  it('builds PLAIN / SCRAM options from a secret reference without logging it', async () => {
    process.env.SPEEDLAYER_TEST_KAFKA_PW = 's3cret-value';
    const config = resolveKafkaConfig(parseUri('kafka://b:9092'), {
      sasl: { mechanism: 'scram-sha-256', username: 'bob', password: 'env:SPEEDLAYER_TEST_KAFKA_PW' },
    });
    const sasl = await saslOptions(config);
    expect(sasl).toEqual({ mechanism: 'scram-sha-256', username: 'bob', password: 's3cret-value' });
    const conn = await resolveConnection(parseUri('kafka://b:9092'), config, logger);
    expect(conn.security).toBe('SASL_PLAINTEXT/SCRAM-SHA-256');
    delete process.env.SPEEDLAYER_TEST_KAFKA_PW;
    const missing = resolveKafkaConfig(parseUri('kafka://b:9092'), {
      sasl: { mechanism: 'plain', username: 'bob', password: 'env:SPEEDLAYER_TEST_KAFKA_PW' },
    });
    await expect(saslOptions(missing)).rejects.toMatchObject({ kind: 'config', field: 'sasl.password' });
  });

  it('mints unsecured JWTs the way Kafka’s default OAUTHBEARER validator wants them', async () => {
    const token = unsecuredJwt('alice', 60, 1_700_000_000_000);
    const [header, payload, signature] = token.split('.');
    expect(JSON.parse(Buffer.from(header ?? '', 'base64url').toString())).toEqual({ alg: 'none' });
    expect(JSON.parse(Buffer.from(payload ?? '', 'base64url').toString())).toEqual({
      sub: 'alice',
      iat: 1_700_000_000,
      exp: 1_700_000_060,
    });
    expect(signature).toBe('');
    const config = resolveKafkaConfig(parseUri('kafka://b:9092'), {
      sasl: { mechanism: 'oauthbearer', unsecuredJwtSubject: 'alice' },
    });
    const sasl = (await saslOptions(config)) as { mechanism: string; oauthBearerProvider: () => Promise<{ value: string }> };
    expect(sasl.mechanism).toBe('oauthbearer');
    expect((await sasl.oauthBearerProvider()).value.endsWith('.')).toBe(true);
  });

  it('refuses a SASL mechanism it does not know, naming sasl.mechanism, unless a dialect provides it', async () => {
    const config = { ...resolveKafkaConfig(parseUri('kafka://b:9092')), sasl: { mechanism: 'my-token' } };
    await expect(resolveConnection(parseUri('kafka://b:9092'), config, logger)).rejects.toMatchObject({
      kind: 'config',
      field: 'sasl.mechanism',
    });
    const dialect: KafkaDialect = {
      target: 'my-kafka',
      sasl: async (sasl) =>
        sasl.mechanism === 'my-token'
          ? {
              options: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: 't' }) },
              label: 'MY-TOKEN',
              tls: true,
            }
          : undefined,
    };
    const conn = await resolveConnection(parseUri('kafka://b:9092'), config, logger, dialect);
    expect(conn.security).toBe('SASL_SSL/MY-TOKEN');
    expect(conn.kafkajs.ssl).toBe(true);
    expect((conn.kafkajs.sasl as { mechanism: string }).mechanism).toBe('oauthbearer');
    // `tls: false` given explicitly still wins over the mechanism's default
    const plain = await resolveConnection(parseUri('kafka://b:9092'), { ...config, tls: false }, logger, dialect);
    expect(plain.kafkajs.ssl).toBeUndefined();
  });

  it("serves only the dialect's schemes, and asks the dialect for the brokers of its own", async () => {
    const config = resolveKafkaConfig(parseUri('kafka://b:9092'));
    await expect(resolveConnection(parseUri('other://x'), config, logger)).rejects.toMatchObject({
      kind: 'config',
      field: 'uri',
      target: 'kafka',
    });
    const dialect: KafkaDialect = {
      target: 'my-kafka',
      schemes: ['kafka', 'mine'],
      brokers: async (uri) => ({ brokers: [`${uri.location}.example.net:9093`], tls: true }),
    };
    const conn = await resolveConnection(parseUri('mine://orders'), config, logger, dialect);
    expect(conn.brokers).toEqual(['orders.example.net:9093']);
    expect(conn.security).toBe('SSL');
    const kafka = await resolveConnection(parseUri('kafka://b:9092'), config, logger, dialect);
    expect(kafka).toMatchObject({ brokers: ['b:9092'], security: 'PLAINTEXT' });
    await expect(resolveConnection(parseUri('other://x'), config, logger, dialect)).rejects.toMatchObject({
      field: 'uri',
      target: 'my-kafka',
      message: expect.stringContaining('kafka:// and mine://'),
    });
  });
});
