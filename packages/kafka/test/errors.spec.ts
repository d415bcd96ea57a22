import { describe, expect, it } from 'vitest';
import { mapKafkaError } from '../src/index.js';

const ctx = { op: 'describe topic t', brokers: ['b1:9092', 'b2:9092'], topic: 't' };

function kafkajsError(name: string, props: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(String(props.message ?? name)), { name, ...props });
}

describe('kafka/errors', () => {
  it('maps connection failures to a retriable ConnectionError naming the brokers', () => {
    const inner = kafkajsError('KafkaJSConnectionError', {
      message: 'Connection error: connect ECONNREFUSED 127.0.0.1:1',
      broker: 'b1:9092',
      retriable: true,
    });
    const e = mapKafkaError(kafkajsError('KafkaJSNumberOfRetriesExceeded', { cause: inner, retriable: false }), ctx);
    expect(e).toMatchObject({ kind: 'connection', retriable: true, target: 'kafka' });
    // a target built on the driver puts its own id on the error
    expect(mapKafkaError(inner, { ...ctx, target: 'aws-msk-eks' })).toMatchObject({ target: 'aws-msk-eks' });
    expect(e.message).toContain('b1:9092,b2:9092');
  });

  it('maps a commit while kafkajs restarts its consumer to a retriable ConnectionError (seen in the broker-restart test)', () => {
    const e = mapKafkaError(
      kafkajsError('KafkaJSNonRetriableError', {
        message: 'Consumer group was not initialized, consumer#run must be called first',
      }),
      ctx,
    );
    expect(e).toMatchObject({ kind: 'connection', retriable: true });
    expect(e.message).toContain('rejoining its group');
  });

  it('maps SASL failures to a non-retriable AuthError without the credentials', () => {
    const e = mapKafkaError(
      kafkajsError('KafkaJSSASLAuthenticationError', {
        message: 'SASL PLAIN authentication failed: Authentication failed: Invalid username or password',
      }),
      ctx,
    );
    expect(e).toMatchObject({ kind: 'auth', retriable: false });
    expect(e.message).toContain('Invalid username or password');
  });

  it('maps authorization errors to AuthError', () => {
    expect(mapKafkaError(kafkajsError('KafkaJSProtocolError', { type: 'TOPIC_AUTHORIZATION_FAILED' }), ctx)).toMatchObject({
      kind: 'auth',
    });
  });

  it('maps unknown topics to NotFoundError naming the topic', () => {
    const e = mapKafkaError(kafkajsError('KafkaJSProtocolError', { type: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true }), ctx);
    expect(e).toMatchObject({ kind: 'not-found', retriable: false, field: 'topic' });
    expect(e.message).toContain('topic t');
  });

  it('maps TLS failures to a non-retriable ConnectionError pointing at caFile', () => {
    const e = mapKafkaError(
      kafkajsError('KafkaJSConnectionError', {
        message: 'self-signed certificate in certificate chain',
        code: 'SELF_SIGNED_CERT_IN_CHAIN',
      }),
      ctx,
    );
    expect(e).toMatchObject({ kind: 'connection', retriable: false });
    expect(e.message).toContain('caFile');
  });

  it('keeps kafkajs’ retriable flag for other protocol errors and redacts secrets', () => {
    const e = mapKafkaError(
      kafkajsError('KafkaJSProtocolError', { type: 'NOT_LEADER_FOR_PARTITION', retriable: true, message: 'password=abc' }),
      ctx,
    );
    expect(e).toMatchObject({ kind: 'internal', retriable: true });
    expect(e.message).not.toContain('abc');
    expect(mapKafkaError(kafkajsError('KafkaJSRequestTimeoutError'), ctx)).toMatchObject({ kind: 'timeout', retriable: true });
    expect(mapKafkaError(kafkajsError('KafkaJSProtocolError', { type: 'INVALID_SESSION_TIMEOUT' }), ctx)).toMatchObject({
      kind: 'config',
      field: 'sessionTimeoutMs',
    });
  });
});
