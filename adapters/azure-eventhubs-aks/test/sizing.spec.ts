import { planOnTarget } from '@speedlayer/planner';
import { describe, expect, it } from 'vitest';
import { eventHubsAksTarget, premiumUnits, throughputUnits } from '../src/plan/index.js';

describe('azure-eventhubs-aks/sizing (vendor-facts.md §7 worked examples)', () => {
  it('takes the largest of the four TU terms, egress across groups', () => {
    // 3.5 MB/s and 2,500 events/s in, 3 groups: max(4, 3, ceil(10.5/2) = 6, ceil(7,500/4,096) = 2) = 6 TU
    const tu = throughputUnits({
      peakBytesPerSec: 3_500_000,
      peakRecordsPerSec: 2500,
      peakEgressBytesPerSec: 10_500_000,
      peakEgressRecordsPerSec: 7500,
    });
    expect(tu).toEqual({ tu: 6, ingressBytes: 4, ingressEvents: 3, egressBytes: 6, egressEvents: 2 });
  });

  it('lets events/s dominate for tiny events', () => {
    expect(
      throughputUnits({
        peakBytesPerSec: 500_000,
        peakRecordsPerSec: 9000,
        peakEgressBytesPerSec: 500_000,
        peakEgressRecordsPerSec: 9000,
      }).tu,
    ).toBe(9);
  });

  it('buys PUs in steps of 1, 2, 4, 8, 16', () => {
    expect(premiumUnits(12_000_000, 10)).toBe(4); // ceil(12 / 5 assumed) = 3 -> 4
    expect(premiumUnits(1_000_000, 10)).toBe(1);
    expect(premiumUnits(200_000_000, 10)).toBeUndefined();
  });
});

const base = {
  name: 'telemetry',
  ingress: { recordsPerSecond: 2000, avgRecordBytes: 1000, peakFactor: 1.5 },
  consumerGroups: 2,
  processing: { msPerRecord: 2 },
  retentionHours: 72,
};

const plan = (w: object) => planOnTarget(eventHubsAksTarget, w, { emit: false }).plan;

describe('azure-eventhubs-aks/plan', () => {
  it('chooses Premium by default because customer-managed keys need it, and explains why Standard was ruled out', () => {
    const p = plan(base);
    expect(p.tier).toBe('premium');
    expect(p.choice.join(' ')).toMatch(/standard ruled out: .*customer-managed keys need Premium/);
    expect(p.repartitioning.policy).toBe('grow');
  });

  it('sizes Standard in TUs with fixed partitions when customer-managed keys are not required', () => {
    const p = plan({ ...base, targets: { 'azure-eventhubs-aks': { customerManagedKey: false } } });
    expect(p.tier).toBe('standard');
    // 3 MB/s in -> 3, 3,000 ev/s -> 3, 6 MB/s out / 2 -> 3, 6,000 / 4,096 -> 2: 3 TU; partitions = max(3, processing 6) = 6
    expect(p.capacity.throughputUnits).toBe(3);
    expect(p.partitions).toBe(6);
    expect(p.repartitioning.policy).toBe('fixed');
    expect(p.warnings.join(' ')).toMatch(/Microsoft-managed keys/);
  });

  it('names retention beyond the Standard tier (7 days) with the field and the limit', () => {
    const p = plan({
      ...base,
      retentionHours: 336,
      targets: { 'azure-eventhubs-aks': { tier: 'standard', customerManagedKey: false } },
    });
    expect(p.feasible).toBe(false);
    expect(p.blockers).toHaveLength(1);
    expect(p.blockers[0]!.field).toBe('retentionHours');
    expect(p.blockers[0]!.message).toContain('168 h (7 days)');
    expect(p.blockers[0]!.limit!.source).toContain('event-hubs-quotas');
  });

  it('enforces 32 partitions and 20 consumer groups on Standard', () => {
    const p = plan({
      ...base,
      consumerGroups: 20,
      processing: { msPerRecord: 20 },
      targets: { 'azure-eventhubs-aks': { tier: 'standard', customerManagedKey: false } },
    });
    expect(p.blockers.map((b) => b.field).sort()).toEqual(['consumerGroups', 'processing.msPerRecord']);
  });

  it('cannot carry events above 1 MB on any tier, nor keep data beyond 90 days', () => {
    expect(plan({ ...base, maxRecordBytes: 2 * 1024 * 1024 }).feasible).toBe(false);
    const long = plan({ ...base, retentionHours: 24 * 100 });
    expect(long.feasible).toBe(false);
    expect(long.blockers.some((b) => b.field === 'retentionHours' && b.message.includes('2,160 h'))).toBe(true);
  });
});
