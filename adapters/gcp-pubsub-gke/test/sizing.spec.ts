import { planOnTarget } from '@speedlayer/planner';
import { PLANNER_WORKLOADS } from '@speedlayer/testing';
import { describe, expect, it } from 'vitest';
import { ackDeadlineSeconds, backlogPerReplica, pubsubGkeTarget, pubsubReplicas } from '../src/plan/index.js';

describe('gcp-pubsub-gke/sizing', () => {
  it('derives replicas from processing only (no partitions)', () => {
    expect(pubsubReplicas(40_000, 20_000, 2)).toEqual({ min: 40, max: 80 });
    expect(pubsubReplicas(100, 50, 0)).toEqual({ min: 1, max: 1 });
  });

  it('clamps the ack deadline to 10..600 s', () => {
    expect(ackDeadlineSeconds(2)).toBe(10);
    expect(ackDeadlineSeconds(200)).toBe(400);
    expect(ackDeadlineSeconds(1000)).toBe(600);
  });

  it('targets 30 s of work per replica for the KEDA backlog', () => {
    expect(backlogPerReplica(2)).toBe(15_000);
    expect(backlogPerReplica(1000)).toBe(100);
  });
});

const clickstream = PLANNER_WORKLOADS.clickstream;

const plan = (w: object) => planOnTarget(pubsubGkeTarget, w, { emit: false }).plan;

describe('gcp-pubsub-gke/plan', () => {
  it('has no partitions and says how replicas are derived', () => {
    const p = plan(clickstream);
    expect(p.partitions).toBeNull();
    expect(p.replicas).toEqual({ min: 40, max: 80 });
    expect(p.replicaRule).toMatch(/no partitions/);
    expect(p.repartitioning.policy).toBe('none');
    expect(p.warnings.join(' ')).toMatch(/ordering key is limited to 1 MB\/s/);
  });

  it('bills publish plus delivery per group at $40/TiB after 10 GiB free', () => {
    const p = plan(clickstream);
    const line = p.cost.find((c) => c.item.startsWith('publish + delivery'))!;
    const gib = (20000 * 1024 * 730 * 3600) / 2 ** 30;
    expect(line.quantity).toBeCloseTo(gib * 3 - 10, 0);
  });

  it('cannot carry messages above 10 MB or keep them beyond 31 days', () => {
    expect(plan({ ...clickstream, maxRecordBytes: 11_000_000 }).blockers.map((b) => b.field)).toEqual(['maxRecordBytes']);
    expect(plan({ ...clickstream, retentionHours: 800 }).blockers.map((b) => b.field)).toEqual(['retentionHours']);
  });

  it('warns when peak publish exceeds the regional quota', () => {
    const p = plan({
      ...clickstream,
      ingress: { ...clickstream.ingress, recordsPerSecond: 40_000 },
      targets: { 'gcp-pubsub-gke': { region: 'asia-east1' } },
    });
    expect(p.warnings.join(' ')).toMatch(/regional publish quota in asia-east1 \(50 MB\/s\)/);
  });
});
