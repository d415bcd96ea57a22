import { MIB, planOnTarget } from '@speedlayer/planner';
import { PLANNER_WORKLOADS } from '@speedlayer/testing';
import { describe, expect, it } from 'vitest';
import { BROKER_SIZES, brokerLayout, mskEksTarget, mskPartitions } from '../src/plan/index.js';

const size = (t: string) => BROKER_SIZES.find((s) => s.type === t)!;

describe('aws-msk-eks/sizing (vendor-facts.md §7 worked examples)', () => {
  it('sizes partitions for 5 MB/s in and 10 MB/s out per partition and for processing', () => {
    // clickstream: 40.96 MB/s in -> 9; 81.92 MB/s out -> 9; processing 80 -> 80
    expect(mskPartitions({ peakBytesPerSec: 40_960_000, peakEgressBytesPerSec: 81_920_000, processingReplicas: 80 })).toEqual({
      partitions: 80,
      ingress: 9,
      egress: 9,
      processing: 80,
    });
  });

  it('keeps partition replicas per broker under the recommendation, in multiples of 3 AZs', () => {
    // 1,200 partitions x RF 3 / 1,000 per m5.large = 3.6 -> 4 -> 6 brokers
    const l = brokerLayout(size('kafka.m5.large'), { peakBytesPerSec: MIB, partitions: 1200, retainedBytes: 0, rf: 3, azs: 3 });
    expect([l.byPartitions, l.brokers]).toEqual([4, 6]);
    // m5.2xlarge recommends 2,000: 3,600 / 2,000 = 1.8 -> 2 -> 3 brokers
    expect(
      brokerLayout(size('kafka.m5.2xlarge'), { peakBytesPerSec: MIB, partitions: 1200, retainedBytes: 0, rf: 3, azs: 3 }).brokers,
    ).toBe(3);
  });

  it('keeps per-broker write IO (ingress x RF / brokers) under 250 MiB/s per volume', () => {
    // 500 MiB/s x 3 / 250 = 6 brokers
    const l = brokerLayout(size('kafka.m5.large'), {
      peakBytesPerSec: 500 * MIB,
      partitions: 10,
      retainedBytes: 0,
      rf: 3,
      azs: 3,
    });
    expect([l.byIo, l.brokers]).toEqual([6, 6]);
  });

  it('adds brokers when retained data x RF does not fit 16,384 GiB per broker at 85%', () => {
    const retained = 100 * 1024 ** 4; // 100 TiB
    const l = brokerLayout(size('kafka.m5.large'), {
      peakBytesPerSec: MIB,
      partitions: 10,
      retainedBytes: retained,
      rf: 3,
      azs: 3,
    });
    // 300 TiB / 0.85 / 16 TiB = 22.06 -> 23 -> 24 brokers
    expect([l.byStorage, l.brokers]).toEqual([23, 24]);
    expect(l.storageGiBPerBroker).toBeLessThanOrEqual(16_384);
  });
});

const clickstream = PLANNER_WORKLOADS.clickstream;

const plan = (w: object) => planOnTarget(mskEksTarget, w, { emit: false }).plan;

describe('aws-msk-eks/plan', () => {
  it('plans the clickstream example: 80 partitions on 3 m5.large brokers, replicas 40-80, partitions only grow', () => {
    const p = plan(clickstream);
    expect(p.partitions).toBe(80);
    expect(p.replicas).toEqual({ min: 40, max: 80 });
    expect(p.capacity).toMatchObject({ mode: 'provisioned', brokers: 3, brokerType: 'kafka.m5.large', replicationFactor: 3 });
    expect(p.repartitioning.policy).toBe('grow-only');
    expect(p.replicaRule).toMatch(/KEDA/);
  });

  it('rules out serverless above 200 MB/s and says why', () => {
    const p = plan({ ...clickstream, ingress: { ...clickstream.ingress, recordsPerSecond: 150_000 } });
    expect(p.capacity.mode).toBe('provisioned');
    expect(p.choice.join(' ')).toMatch(/serverless cannot serve it: peak ingress .* > 200 MB\/s/);
    const pinned = plan({
      ...clickstream,
      ingress: { ...clickstream.ingress, recordsPerSecond: 150_000 },
      targets: { 'aws-msk-eks': { mode: 'serverless' } },
    });
    expect(pinned.feasible).toBe(false);
    expect(pinned.blockers[0]!.field).toBe('ingress.recordsPerSecond');
  });

  it('cannot carry a record above the broker request limit', () => {
    const p = plan({ ...clickstream, maxRecordBytes: 200 * MIB });
    expect(p.blockers.map((b) => b.field)).toContain('maxRecordBytes');
  });
});
