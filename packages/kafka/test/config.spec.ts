import { parseUri } from '@speedlayer/core';
import { describe, expect, it } from 'vitest';
import {
  kafkaCapabilities,
  kafkaConfigJsonSchema,
  parseMskArn,
  resolveConnection,
  resolveKafkaConfig,
  saslOptions,
  unsecuredJwt,
} from '../src/stream/index.js';

const logger = { debug() {}, info() {}, warn() {}, error() {} };

describe('aws-msk-eks/stream/config', () => {
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

  it('parses MSK cluster ARNs and refuses anything else', () => {
    expect(
      parseMskArn('arn:aws:kafka:eu-west-1:123456789012:cluster/orders/0b1c2d3e-aaaa-bbbb-cccc-1234567890ab-2'),
    ).toMatchObject({
      region: 'eu-west-1',
      account: '123456789012',
      name: 'orders',
    });
    expect(() => parseMskArn('my-cluster')).toThrow(expect.objectContaining({ kind: 'config', field: 'uri' }));
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

  it('signs MSK IAM tokens with the AWS signer (SASL/OAUTHBEARER over TLS) from the credential chain', async () => {
    const saved = { ...process.env };
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    try {
      const uri = parseUri('msk://arn:aws:kafka:us-east-1:123456789012:cluster/orders/0b1c2d3e-aaaa-bbbb-cccc-1234567890ab-2');
      const config = resolveKafkaConfig(uri, { sasl: { mechanism: 'aws-msk-iam' }, bootstrapBrokers: 'b-1.orders:9098' });
      const conn = await resolveConnection(uri, config, logger);
      expect(conn.brokers).toEqual(['b-1.orders:9098']);
      expect(conn.kafkajs.ssl).toBe(true);
      expect(conn.security).toBe('SASL_SSL/OAUTHBEARER(MSK IAM)');
      const sasl = conn.kafkajs.sasl as { mechanism: string; oauthBearerProvider: () => Promise<{ value: string }> };
      expect(sasl.mechanism).toBe('oauthbearer');
      const url = Buffer.from((await sasl.oauthBearerProvider()).value, 'base64url').toString();
      expect(url).toContain('kafka.us-east-1.amazonaws.com');
      expect(url).toContain('Action=kafka-cluster%3AConnect');
      expect(url).toContain('X-Amz-Signature=');
    } finally {
      process.env = saved;
    }
  });
});
