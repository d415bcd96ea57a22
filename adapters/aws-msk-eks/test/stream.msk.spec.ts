/** What MSK adds to the shared Kafka driver: msk:// ARNs, MSK IAM, and the names kept for earlier importers. */
import { parseUri } from '@speedlayer/core';
import { describe, expect, it } from 'vitest';
import {
  createKafkaStreamClient,
  kafkaConfigJsonSchema,
  mapKafkaError,
  parseMskArn,
  resolveConnection,
  resolveKafkaConfig,
  saslOptions,
} from '../src/stream/index.js';

const logger = { debug() {}, info() {}, warn() {}, error() {} };

describe('aws-msk-eks/stream (MSK dialect of @speedlayer/kafka)', () => {
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
  it('keeps MSK fields in its schema and names this target on errors (kafka:// is this target)', async () => {
    expect(Object.keys(kafkaConfigJsonSchema().properties as object)).toEqual(
      expect.arrayContaining(['region', 'endpoint', 'bootstrapBrokers', 'sasl']),
    );
    expect(() => resolveKafkaConfig(parseUri('kafka://b:9092'), { retries: -1 })).toThrow(
      expect.objectContaining({ kind: 'config', field: 'retries', target: 'aws-msk-eks' }),
    );
    const e = mapKafkaError(Object.assign(new Error('x'), { name: 'KafkaJSConnectionError' }), { op: 'op', brokers: ['b:1'] });
    expect(e).toMatchObject({ kind: 'connection', target: 'aws-msk-eks' });
    await expect(createKafkaStreamClient(parseUri('msk://not-an-arn'))).rejects.toMatchObject({
      kind: 'config',
      field: 'uri',
      target: 'aws-msk-eks',
    });
    await expect(createKafkaStreamClient(parseUri('eventhubs+kafka://x'))).rejects.toMatchObject({
      field: 'uri',
      message: expect.stringContaining('kafka:// and msk://'),
    });
  });

  it('builds PLAIN options through saslOptions as before, and IAM options for aws-msk-iam', async () => {
    process.env.SPEEDLAYER_TEST_MSK_PW = 'pw-value';
    try {
      const plain = resolveKafkaConfig(parseUri('kafka://b:9092'), {
        sasl: { mechanism: 'plain', username: 'u', password: 'env:SPEEDLAYER_TEST_MSK_PW' },
      });
      expect(await saslOptions(plain)).toEqual({ mechanism: 'plain', username: 'u', password: 'pw-value' });
      const iam = resolveKafkaConfig(parseUri('kafka://b:9092'), { sasl: { mechanism: 'aws-msk-iam', region: 'eu-west-1' } });
      expect(await saslOptions(iam)).toMatchObject({ mechanism: 'oauthbearer' });
      const noRegion = resolveKafkaConfig(parseUri('kafka://b:9092'), { sasl: { mechanism: 'aws-msk-iam' } });
      const saved = { ...process.env };
      delete process.env.AWS_REGION;
      delete process.env.AWS_DEFAULT_REGION;
      try {
        await expect(resolveConnection(parseUri('kafka://b:9092'), noRegion, logger)).rejects.toMatchObject({
          kind: 'config',
          field: 'region',
        });
      } finally {
        process.env = saved;
      }
    } finally {
      delete process.env.SPEEDLAYER_TEST_MSK_PW;
    }
  });
});
