/**
 * Pure logic of the Pub/Sub stream adapter: URI and config resolution, names, record limits, capabilities and
 * error classification. No server.
 */
import { isSpeedlayerError, parseUri } from '@speedlayer/core';
import { describe, expect, it } from 'vitest';
import {
  checkPubsubRecord,
  classifyPubsubError,
  PUBSUB_RECORD_LIMITS,
  parsePubsubUri,
  pubsubCapabilities,
  pubsubMessageBytes,
  recordAttributes,
  resolvePubsubConfig,
  streamFactory,
  subscriptionName,
  TIMESTAMP_ATTRIBUTE,
  validatePubsubTopic,
} from '../src/index.js';

const uri = (raw: string) => parseUri(raw);

describe('gcp-pubsub-gke/stream/config', () => {
  it('reads the project and the emulator host from the URI', () => {
    expect(parsePubsubUri(uri('pubsub://my-project?emulatorHost=127.0.0.1:8085'), {})).toEqual({
      projectId: 'my-project',
      emulatorHost: '127.0.0.1:8085',
    });
  });

  it('falls back to PUBSUB_EMULATOR_HOST, and to Application Default Credentials without it', () => {
    expect(parsePubsubUri(uri('pubsub://my-project'), { PUBSUB_EMULATOR_HOST: 'localhost:8681' })).toEqual({
      projectId: 'my-project',
      emulatorHost: 'localhost:8681',
    });
    expect(parsePubsubUri(uri('pubsub://my-project'), {})).toEqual({ projectId: 'my-project' });
  });

  it('reads seek=true|false from the URI', () => {
    expect(parsePubsubUri(uri('pubsub://my-project?seek=true'), {})).toEqual({ projectId: 'my-project', seek: true });
    expect(() => parsePubsubUri(uri('pubsub://my-project?seek=yes'), {})).toThrow(expect.objectContaining({ field: 'uri' }));
  });

  it('rejects a missing project, unknown parameters and a bad emulator host with field uri', () => {
    for (const raw of ['pubsub://', 'pubsub://My_Project', 'pubsub://p-1?topic=x', 'pubsub://p-1?emulatorHost=nohost']) {
      expect(() => parsePubsubUri(uri(raw), {}), raw).toThrow(expect.objectContaining({ kind: 'config', field: 'uri' }));
    }
  });

  it('defaults the config and names the field at fault', () => {
    expect(resolvePubsubConfig({})).toMatchObject({
      ackDeadlineSeconds: 10,
      topicRetentionHours: 168,
      maxExtensionSeconds: 3600,
    });
    for (const ackDeadlineSeconds of [9, 601, 10.5]) {
      expect(() => resolvePubsubConfig({ ackDeadlineSeconds })).toThrow(
        expect.objectContaining({ kind: 'config', field: 'ackDeadlineSeconds', target: 'gcp-pubsub-gke' }),
      );
    }
    expect(() => resolvePubsubConfig({ nativeDeadLetterAttempts: 101 })).toThrow(
      expect.objectContaining({ field: 'nativeDeadLetterAttempts' }),
    );
    expect(() => resolvePubsubConfig({ nope: 1 })).toThrow(expect.objectContaining({ kind: 'config' }));
  });

  it('streamFactory refuses a bad config before connecting', async () => {
    await expect(
      streamFactory(uri('pubsub://p-1?emulatorHost=127.0.0.1:1'), { config: { ackDeadlineSeconds: 0 } }),
    ).rejects.toMatchObject({
      kind: 'config',
      field: 'ackDeadlineSeconds',
    });
  });
});

describe('gcp-pubsub-gke/stream/mapping', () => {
  it('maps a group to the subscription <topic>.<group>, percent-encoding what Pub/Sub names do not allow', () => {
    expect(subscriptionName('orders', 'billing')).toBe('orders.billing');
    expect(subscriptionName('orders', 'team a/b')).toBe('orders.team%20a%2Fb');
    expect(subscriptionName('orders', 'ü')).toBe('orders.%C3%BC');
    expect(() => subscriptionName('orders', '')).toThrow(expect.objectContaining({ field: 'group' }));
    expect(() => subscriptionName('orders', 'g'.repeat(250))).toThrow(expect.objectContaining({ field: 'group' }));
  });

  it('checks Pub/Sub topic names beyond the common rule', () => {
    expect(validatePubsubTopic('orders')).toBe('orders');
    for (const bad of ['ab', '1orders', 'google-x', 'bad topic']) {
      expect(() => validatePubsubTopic(bad), bad).toThrow(expect.objectContaining({ kind: 'validation', field: 'topic' }));
    }
  });

  it('declares no partitions, no growth, and Seek as configured', () => {
    expect(pubsubCapabilities(false)).toMatchObject({
      partitions: false,
      partitionGrowth: false,
      timestampSeek: false,
      historyForNewGroups: false,
      nativeConsumerGroups: true,
      nativeDeadLetter: false,
      maxMessageBytes: 10_000_000,
      maxHeaders: 100,
    });
    expect(pubsubCapabilities(true)).toMatchObject({ timestampSeek: true, historyForNewGroups: true });
  });

  it('sends an explicit event time as an attribute and counts it against the limits', () => {
    expect(recordAttributes({ value: 'v', headers: { a: 'b' }, timestamp: 1700000000000.7 })).toEqual({
      a: 'b',
      [TIMESTAMP_ATTRIBUTE]: '1700000000000',
    });
    expect(recordAttributes({ value: 'v' })).toEqual({});
    const r = { key: 'kk', value: 'vvv', headers: { h: 'xy' } };
    expect(pubsubMessageBytes(r, recordAttributes(r))).toBe(2 + 3 + 1 + 2);
  });

  it('rejects an ordering key over 1 KB, too many attributes, long attribute keys or values, reserved names', () => {
    const L = PUBSUB_RECORD_LIMITS;
    expect(() => checkPubsubRecord({ key: 'é'.repeat(513), value: 'v' }, 2)).toThrow(
      expect.objectContaining({ kind: 'validation', field: 'records[2].key' }),
    );
    expect(() => checkPubsubRecord({ key: 'k'.repeat(L.maxOrderingKeyBytes), value: 'v' }, 0)).not.toThrow();
    const hundred = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`h${i}`, 'v']));
    expect(() => checkPubsubRecord({ value: 'v', headers: hundred }, 0)).not.toThrow();
    expect(() => checkPubsubRecord({ value: 'v', headers: hundred, timestamp: 1 }, 0)).toThrow(
      expect.objectContaining({ field: 'records[0].headers' }),
    );
    expect(() => checkPubsubRecord({ value: 'v', headers: { ['k'.repeat(257)]: 'v' } }, 0)).toThrow(
      expect.objectContaining({ kind: 'validation' }),
    );
    expect(() => checkPubsubRecord({ value: 'v', headers: { googx: 'v' } }, 0)).toThrow(
      expect.objectContaining({ kind: 'validation' }),
    );
    expect(() => checkPubsubRecord({ value: 'v', headers: { a: 'v'.repeat(1025) } }, 1)).toThrow(
      expect.objectContaining({ field: 'records[1].headers.a' }),
    );
    expect(() => checkPubsubRecord({ value: 'v', headers: { [TIMESTAMP_ATTRIBUTE]: '1' } }, 0)).toThrow(
      expect.objectContaining({ kind: 'validation' }),
    );
  });

  it('rejects an empty message (no data and no attributes), which Pub/Sub refuses', () => {
    expect(() => checkPubsubRecord({ value: '' }, 0)).toThrow(expect.objectContaining({ field: 'records[0].value' }));
    expect(() => checkPubsubRecord({ value: '', headers: { a: 'b' } }, 0)).not.toThrow();
  });

  it('classifies gRPC errors into typed speedlayer errors', () => {
    const grpc = (code: number) => Object.assign(new Error(`${code} STATUS: detail`), { code });
    expect(classifyPubsubError(grpc(5), 'publish', 'topic')).toMatchObject({
      kind: 'not-found',
      field: 'topic',
      retriable: false,
    });
    expect(classifyPubsubError(grpc(6), 'create')).toMatchObject({ kind: 'conflict' });
    expect(classifyPubsubError(grpc(9), 'delete a dead-letter topic in use')).toMatchObject({ kind: 'conflict' });
    expect(classifyPubsubError(grpc(3), 'create')).toMatchObject({ kind: 'validation' });
    expect(classifyPubsubError(grpc(7), 'x')).toMatchObject({ kind: 'auth' });
    expect(classifyPubsubError(grpc(16), 'x')).toMatchObject({ kind: 'auth' });
    expect(classifyPubsubError(grpc(8), 'x')).toMatchObject({ kind: 'throttled', retriable: true });
    expect(classifyPubsubError(grpc(4), 'x')).toMatchObject({ kind: 'timeout', retriable: true });
    expect(classifyPubsubError(grpc(14), 'x')).toMatchObject({ kind: 'connection', retriable: true });
    expect(classifyPubsubError(grpc(12), 'x')).toMatchObject({ kind: 'unsupported' });
    const unknown = classifyPubsubError(new Error('odd'), 'x');
    expect(isSpeedlayerError(unknown)).toBe(true);
    expect(unknown).toMatchObject({ kind: 'internal' });
    const typed = classifyPubsubError(grpc(5), 'y');
    expect(classifyPubsubError(typed, 'z')).toBe(typed);
  });
});
