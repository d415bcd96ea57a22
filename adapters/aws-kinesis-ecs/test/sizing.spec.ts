import { MIB, planOnTarget } from '@speedlayer/planner';
import { PLANNER_WORKLOADS } from '@speedlayer/testing';
import { describe, expect, it } from 'vitest';
import {
  fargateSize,
  kinesisEcsTarget,
  onDemandShardEstimate,
  provisionedShards,
  putPayloadUnits,
  reshardCalls,
} from '../src/plan/index.js';

describe('aws-kinesis-ecs/sizing (vendor-facts.md §7 worked examples)', () => {
  it('takes the largest of write bytes, write records and shared reads', () => {
    // 5 MiB/s in, 2,000 records/s, 3 polling groups: max(ceil(5/1), ceil(2000/1000), ceil(5 x 3 / 2)) = max(5, 2, 8) = 8
    const s = provisionedShards({ peakBytesPerSec: 5 * MIB, peakRecordsPerSec: 2000, sharedConsumers: 3, processingReplicas: 1 });
    expect([s.writeBytes, s.writeRecords, s.sharedRead, s.shards]).toEqual([5, 2, 8, 8]);
  });

  it('drops the shared-read term with enhanced fan-out', () => {
    const s = provisionedShards({ peakBytesPerSec: 5 * MIB, peakRecordsPerSec: 2000, sharedConsumers: 0, processingReplicas: 1 });
    expect(s.shards).toBe(5);
  });

  it('lets records/s dominate for small records', () => {
    // 10,000 records/s x 100 B = 0.95 MiB/s: ceil(10000/1000) = 10 shards
    expect(
      provisionedShards({ peakBytesPerSec: 1_000_000, peakRecordsPerSec: 10_000, sharedConsumers: 1, processingReplicas: 1 })
        .shards,
    ).toBe(10);
  });

  it('adds the processing term: one KCL worker per shard, serial', () => {
    expect(
      provisionedShards({ peakBytesPerSec: MIB, peakRecordsPerSec: 100, sharedConsumers: 1, processingReplicas: 7 }).shards,
    ).toBe(7);
  });

  it('counts UpdateShardCount calls within 1/2x-2x per call', () => {
    expect(reshardCalls(10, 20)).toBe(1);
    expect(reshardCalls(10, 35)).toBe(2); // 10 -> 20 -> 35
    expect(reshardCalls(100, 30)).toBe(2); // 100 -> 50 -> 30
    expect(reshardCalls(8, 8)).toBe(0);
  });

  it('counts PUT payload units in 25 KB chunks (5 KB -> 1, 45 KB -> 2, 1 MB -> 40)', () => {
    expect([putPayloadUnits(5_000), putPayloadUnits(45_000), putPayloadUnits(1_000_000)]).toEqual([1, 2, 40]);
  });

  it('estimates on-demand shards from the 500 KB/s split point, at least 4', () => {
    expect(onDemandShardEstimate(100_000, 100)).toBe(4);
    expect(onDemandShardEstimate(10_000_000, 100)).toBe(20);
  });

  it('rounds task sizes up to valid Fargate combinations', () => {
    expect(fargateSize(0.25, 512)).toEqual({ cpu: 0.25, memoryMiB: 512 });
    expect(fargateSize(0.25, 3000)).toEqual({ cpu: 0.5, memoryMiB: 3072 });
    expect(fargateSize(1, 512)).toEqual({ cpu: 1, memoryMiB: 2048 });
  });
});

const clickstream = PLANNER_WORKLOADS.clickstream;

const plan = (w: object) => planOnTarget(kinesisEcsTarget, w, { emit: false }).plan;

describe('aws-kinesis-ecs/plan', () => {
  it('plans the clickstream example: 80 shards (processing-bound), replicas 40-80', () => {
    const p = plan(clickstream);
    expect(p.feasible).toBe(true);
    expect(p.partitions).toBe(80);
    expect(p.replicas).toEqual({ min: 40, max: 80 });
    expect(p.tier).toBe('provisioned');
    expect(p.capacity).toMatchObject({ shards: 80, fanOut: 'shared', retentionHours: 168 });
    // 80 shards x 730 h x $0.015 = $876
    expect(p.cost.find((c) => c.item === 'shard-hours')!.monthlyUsd).toBe(876);
    expect(p.choice.join(' ')).toMatch(/cheaper mode/);
    expect(p.repartitioning.policy).toBe('reshard');
  });

  it('cannot serve a record above 10 MiB and names the field and the limit', () => {
    const p = plan({ ...clickstream, maxRecordBytes: 11 * MIB });
    expect(p.feasible).toBe(false);
    expect(p.blockers[0]).toMatchObject({ field: 'maxRecordBytes' });
    expect(p.blockers[0]!.message).toContain('10 MiB');
    expect(p.blockers[0]!.limit!.source).toMatch(/large-records/);
  });

  it('warns (not blocks) between 1 and 10 MiB', () => {
    const p = plan({ ...clickstream, maxRecordBytes: 2 * MIB });
    expect(p.feasible).toBe(true);
    expect(p.warnings.join(' ')).toMatch(/update-max-record-size/);
  });

  it('cannot keep more than 365 days', () => {
    const p = plan({ ...clickstream, retentionHours: 9000 });
    expect(p.blockers.map((b) => b.field)).toEqual(['retentionHours']);
  });

  it('uses enhanced fan-out when more groups poll than 5 GetRecords/s allow', () => {
    const p = plan({ ...clickstream, consumerGroups: 6 });
    expect(p.capacity.fanOut).toBe('efo');
  });

  it('honours a pinned mode and rejects an invalid option by path', () => {
    const p = plan({ ...clickstream, targets: { 'aws-kinesis-ecs': { mode: 'on-demand' } } });
    expect(p.tier.startsWith('on-demand')).toBe(true);
    expect(() => plan({ ...clickstream, targets: { 'aws-kinesis-ecs': { mode: 'turbo' } } })).toThrow(
      /targets.aws-kinesis-ecs.mode/,
    );
  });
});
