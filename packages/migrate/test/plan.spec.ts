import { type StreamCapabilities, targetDescriptors } from '@speedlayer/core';
import { describe, expect, it } from 'vitest';
import { planBlocked, translateMessage, translateTopic } from '../src/index.js';

// the notes name headers and positions in each target's words, from its descriptor (connect() reads it in real use)
await targetDescriptors();

const base: StreamCapabilities = {
  nativeHeaders: true,
  partitions: true,
  partitionGrowth: true,
  nativeConsumerGroups: true,
  timestampSeek: true,
  idempotentProduce: true,
  nativeDeadLetter: false,
  maxMessageBytes: 1024 * 1024,
  multiProcess: true,
  durable: true,
};
const kafka = base;
const kinesis: StreamCapabilities = {
  ...base,
  nativeHeaders: false,
  partitionGrowth: true,
  idempotentProduce: false,
  maxBatchRecords: 500,
};
const pubsub: StreamCapabilities = {
  ...base,
  partitions: false,
  partitionGrowth: false,
  maxMessageBytes: 10 * 1024 * 1024,
  maxHeaders: 100,
};
const eventhubs: StreamCapabilities = { ...base, partitionGrowth: false, maxMessageBytes: 1024 * 1024 };

describe('migrate/plan/translateTopic', () => {
  it('gives a partitioned target as many partitions as the source so keys stay in one partition each', () => {
    const plan = translateTopic({
      source: { name: 'orders', partitions: 6, retentionHours: 72 },
      sourceCapabilities: kafka,
      sourceTarget: 'aws-msk-eks',
      targetCapabilities: kinesis,
      targetTarget: 'aws-kinesis-ecs',
      targetTopic: 'orders',
    });
    expect(plan.targetPartitions).toBe(6);
    expect(plan.keyMapping).toBe('partition-key');
    expect(plan.keylessKeepPartition).toBe(true);
    expect(plan.retentionHours).toBe(72);
    expect(plan.headerMapping).toBe('adapter-envelope');
    expect(plan.notes.find((n) => n.area === 'headers')?.level).toBe('warning');
    expect(plan.notCarried.join('\n')).toMatch(/Kafka offsets/);
    expect(planBlocked(plan)).toBe(false);
  });

  it('maps partitions to ordering keys on a target without partitions and lists partition numbers as not carried', () => {
    const plan = translateTopic({
      source: { name: 'orders', partitions: 4 },
      sourceCapabilities: kafka,
      sourceTarget: 'aws-msk-eks',
      targetCapabilities: pubsub,
      targetTarget: 'gcp-pubsub-gke',
      targetTopic: 'orders-copy',
    });
    expect(plan.targetPartitions).toBeNull();
    expect(plan.keyMapping).toBe('ordering-key');
    expect(plan.keylessKeepPartition).toBe(false);
    expect(plan.notCarried.some((n) => n.startsWith('partition numbers'))).toBe(true);
    expect(plan.notes.some((n) => n.area === 'ordering')).toBe(true);
    expect(plan.notes.some((n) => n.area === 'headers' && /100 headers/.test(n.message))).toBe(true);
  });

  it('warns that a source without history for new groups only gives what is published after the group exists', () => {
    const translate = (sourceCapabilities: StreamCapabilities) =>
      translateTopic({
        source: { name: 'orders', partitions: null },
        sourceCapabilities,
        sourceTarget: 'gcp-pubsub-gke',
        targetCapabilities: kafka,
        targetTarget: 'aws-msk-eks',
        targetTopic: 'orders',
      });
    const noHistory = translate({ ...pubsub, historyForNewGroups: false });
    expect(noHistory.notes.find((n) => n.area === 'history')).toMatchObject({ level: 'warning' });
    expect(noHistory.notCarried.some((n) => n.includes('before the migration group was registered'))).toBe(true);
    expect(translate(pubsub).notes.some((n) => n.area === 'history')).toBe(false);
  });

  it('lists target positions as not carried when the target does not return them (Event Hubs over AMQP)', () => {
    const translate = (targetCapabilities: StreamCapabilities) =>
      translateTopic({
        source: { name: 'orders', partitions: 4 },
        sourceCapabilities: kafka,
        sourceTarget: 'aws-msk-eks',
        targetCapabilities,
        targetTarget: 'azure-eventhubs-aks',
        targetTopic: 'orders',
      });
    const positionsNote = (p: { notCarried: string[] }) => p.notCarried.some((n) => n.startsWith('target positions'));
    expect(positionsNote(translate({ ...eventhubs, producePositions: false }))).toBe(true);
    expect(positionsNote(translate(eventhubs))).toBe(false);
  });

  it("names headers and positions in each target's words, from its descriptor", () => {
    const words = (target: string) => {
      const plan = translateTopic({
        source: { name: 't', partitions: 2 },
        sourceCapabilities: kafka,
        sourceTarget: target,
        targetCapabilities: kafka,
        targetTarget: target,
        targetTopic: 't',
      });
      const headers = plan.notes.find((n) => n.area === 'headers')?.message.match(/natively \((.*)\)$/)?.[1];
      const positions = plan.notCarried.find((n) => n.startsWith('source positions'))?.match(/^source positions \((.*?)\)/)?.[1];
      return [headers, positions];
    };
    expect(
      Object.fromEntries(
        ['kafka', 'aws-msk-eks', 'aws-kinesis-ecs', 'azure-eventhubs-aks', 'gcp-pubsub-gke', 'local', 'unknown'].map((t) => [
          t,
          words(t),
        ]),
      ),
    ).toEqual({
      kafka: ['as Kafka headers', 'Kafka offsets'],
      'aws-msk-eks': ['as Kafka headers', 'Kafka offsets'],
      'aws-kinesis-ecs': ['as headers', 'Kinesis sequence numbers'],
      'azure-eventhubs-aks': ['as Event Hubs application properties', 'Event Hubs offsets'],
      'gcp-pubsub-gke': ['as Pub/Sub attributes', 'Pub/Sub message ids'],
      local: ['as headers', 'offsets'],
      unknown: ['as headers', 'offsets'],
    });
  });

  it('gives one partition when the source has none, or the count asked for', () => {
    const input = {
      source: { name: 't', partitions: null },
      sourceCapabilities: pubsub,
      sourceTarget: 'gcp-pubsub-gke',
      targetCapabilities: kafka,
      targetTarget: 'aws-msk-eks',
      targetTopic: 't',
    };
    expect(translateTopic(input).targetPartitions).toBe(1);
    expect(translateTopic({ ...input, partitions: 8 }).targetPartitions).toBe(8);
  });

  it('blocks when an existing target topic has fewer partitions and cannot grow', () => {
    const plan = translateTopic({
      source: { name: 't', partitions: 8 },
      sourceCapabilities: kafka,
      sourceTarget: 'aws-msk-eks',
      targetCapabilities: eventhubs,
      targetTarget: 'azure-eventhubs-aks',
      targetTopic: 't',
      existingTarget: { name: 't', partitions: 4 },
    });
    expect(planBlocked(plan)).toBe(true);
    expect(plan.notes.find((n) => n.level === 'error')?.message).toMatch(/4 partitions; the plan needs 8/);
  });

  it('warns (not blocks) when the target can grow, and when it keeps data for less time', () => {
    const plan = translateTopic({
      source: { name: 't', partitions: 8, retentionHours: 168 },
      sourceCapabilities: kafka,
      sourceTarget: 'aws-msk-eks',
      targetCapabilities: kafka,
      targetTarget: 'aws-msk-eks',
      targetTopic: 't',
      existingTarget: { name: 't', partitions: 4, retentionHours: 24 },
    });
    expect(planBlocked(plan)).toBe(false);
    expect(plan.notes.filter((n) => n.level === 'warning').map((n) => n.area)).toEqual(['partitions', 'retention']);
  });

  it('warns when the target accepts smaller messages than the source', () => {
    const plan = translateTopic({
      source: { name: 't', partitions: 1 },
      sourceCapabilities: pubsub,
      sourceTarget: 'gcp-pubsub-gke',
      targetCapabilities: kinesis,
      targetTarget: 'aws-kinesis-ecs',
      targetTopic: 't',
    });
    expect(plan.notes.find((n) => n.area === 'size')?.level).toBe('warning');
  });
});

describe('migrate/plan/translateMessage', () => {
  const plan = translateTopic({
    source: { name: 't', partitions: 3 },
    sourceCapabilities: kafka,
    sourceTarget: 'local',
    targetCapabilities: kafka,
    targetTarget: 'local',
    targetTopic: 't',
  });
  const m = {
    topic: 't',
    partition: 2,
    position: '41',
    key: null,
    value: new Uint8Array([1]),
    headers: { a: 'b' },
    timestamp: 5,
    deliveryAttempt: 1,
  };

  it('keeps headers, timestamp, adds provenance and keeps a keyless message in its partition index', () => {
    expect(translateMessage(m, plan)).toEqual({
      key: null,
      value: m.value,
      headers: { a: 'b', 'speedlayer-migrate-source': '2:41' },
      timestamp: 5,
      partition: 2,
    });
  });

  it('leaves keyed messages to the target hashing and can omit provenance', () => {
    const r = translateMessage({ ...m, key: 'k' }, { ...plan, provenance: false });
    expect(r.partition).toBeUndefined();
    expect(r.headers).toEqual({ a: 'b' });
  });
});
