import { describe, expect, it } from 'vitest';
import {
  assertSomeFeasible,
  checkTargetKeys,
  compareTargets,
  fact,
  PlanBuilder,
  type PlannerTarget,
  partitionedReplicas,
  planToJson,
  planWorkload,
  price,
  renderComparison,
  renderPlanText,
  validateWorkload,
  WorkloadNotServableError,
} from '../src/index.js';

const workload = validateWorkload({
  name: 'orders',
  ingress: { recordsPerSecond: 1000, avgRecordBytes: 1000, peakFactor: 2 },
  consumerGroups: 2,
  processing: { msPerRecord: 5 },
  retentionHours: 24,
  maxRecordBytes: 5000,
});

const LIMIT = fact(4000, 'bytes per record', 'https://example.test/limits');
const UNIT = price(1, 'unit-hour', 'https://example.test/prices', '2026-01-01', 'test');

/** A small real target: partitions = processing replicas, refuses records above 4,000 bytes. */
function target(id: string, maxRecord: number): PlannerTarget {
  return {
    id,
    title: id,
    limits: { maxRecord: { ...LIMIT, value: maxRecord } },
    prices: { unit: UNIT },
    qualitative: {
      complexity: { value: 'low', why: 'one part' },
      provisioning: { value: 'none', why: 'auto' },
      migration: { value: 'easy', why: 'same protocol' },
      scalability: { value: 'high', why: 'many partitions' },
      vendorLockIn: { value: 'low', why: 'open protocol' },
      kafkaCompatibility: { value: 'native', why: 'it is Kafka' },
    },
    plan({ workload: w, load }) {
      const b = new PlanBuilder(id, id);
      if (w.maxRecordBytes > maxRecord) b.block('maxRecordBytes', `over ${maxRecord}`, { ...LIMIT, value: maxRecord });
      const partitions = b.step('partitions', 'processing', load.processingReplicasPeak);
      b.charge('units', partitions * 730, UNIT);
      const r = partitionedReplicas(partitions, load);
      return b.build({
        tier: 'only',
        partitions,
        replicas: { min: r.min, max: r.max },
        replicaRule: r.rule,
        capacity: { partitions },
        repartitioning: { policy: 'grow-only', note: 'grows', source: 'https://example.test' },
      });
    },
    emit(plan) {
      return [{ path: 'main.tf', content: `# ${plan.partitions}\n`, kind: 'terraform' }];
    },
  };
}

describe('planner/engine', () => {
  it('plans every target; one that cannot serve the workload does not stop the others', () => {
    const result = planWorkload(workload, [target('small', 4000), target('big', 10_000)], {
      context: { now: new Date(0), generator: 'test' },
    });
    const [small, big] = result.results;
    expect(small!.plan.feasible).toBe(false);
    expect(small!.plan.blockers[0]!.field).toBe('maxRecordBytes');
    expect(small!.plan.partitions).toBeNull();
    expect(small!.plan.monthlyCostUsd).toBeNull();
    expect(small!.files).toEqual([]);
    expect(big!.plan.feasible).toBe(true);
    // ceil(2,000 records/s x 5 ms / 1000) = 10 partitions; replicas max = partitions, min = ceil(1,000 x 5 / 1000) = 5
    expect(big!.plan.partitions).toBe(10);
    expect(big!.plan.replicas).toEqual({ min: 5, max: 10 });
    expect(big!.plan.monthlyCostUsd).toBe(7300);
    // the target's files, then the shared alert rules and dashboard (observability.ts)
    expect(big!.files.map((f) => f.path)).toEqual([
      'main.tf',
      'observability/orders.rules.yaml',
      'observability/orders.dashboard.json',
    ]);
    expect(() => assertSomeFeasible(result)).not.toThrow();
  });

  it('throws WorkloadNotServableError naming the field when no target can serve the workload', () => {
    const result = planWorkload(workload, [target('a', 100), target('b', 200)], { emit: false });
    expect(() => assertSomeFeasible(result)).toThrow(WorkloadNotServableError);
    try {
      assertSomeFeasible(result);
    } catch (e) {
      expect((e as WorkloadNotServableError).field).toBe('maxRecordBytes');
      expect((e as WorkloadNotServableError).message).toContain('a: maxRecordBytes: over 100');
    }
  });

  it('prints plan --json in the documented shape', () => {
    const json = planToJson(planWorkload(workload, [target('big', 10_000)]));
    expect(Object.keys(json)).toEqual(['workload', 'plans']);
    const p = json.plans[0]!;
    expect(p).toMatchObject({
      target: 'big',
      partitions: 10,
      replicas: { min: 5, max: 10 },
      monthlyCostUsd: 7300,
      files: ['main.tf', 'observability/orders.rules.yaml', 'observability/orders.dashboard.json'],
    });
    expect(p.cost[0]).toMatchObject({ unitPriceUsd: 1, priceAsOf: '2026-01-01', source: 'https://example.test/prices' });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it('refuses an unknown key under targets', () => {
    const w = validateWorkload({ ...workload, targets: { 'aws-msk-ek': {} } });
    expect(() => checkTargetKeys(w, ['aws-msk-eks'])).toThrow(/targets.aws-msk-ek: unknown target/);
  });

  it('compares side by side with every qualitative row explained per target', () => {
    const targets = [target('small', 4000), target('big', 10_000)];
    const c = compareTargets(planWorkload(workload, targets, { emit: false }), targets);
    const keys = c.rows.map((r) => r.key);
    for (const k of [
      'complexity',
      'provisioning',
      'migration',
      'scalability',
      'vendorLockIn',
      'kafkaCompatibility',
      'monthlyCostUsd',
      'partitions',
      'replicas',
    ]) {
      expect(keys).toContain(k);
    }
    for (const r of c.rows) expect(r.explanation.length).toBeGreaterThan(10);
    expect(c.rows.find((r) => r.key === 'vendorLockIn')!.cells.big).toEqual({ value: 'low', why: 'open protocol' });
    expect(c.rows.find((r) => r.key === 'partitions')!.cells.small!.value).toBe('cannot serve');
    expect(c.cheapest).toBe('big');
    const text = renderComparison(c);
    expect(text).toContain('Native Kafka compatibility');
    expect(text).toContain('Rows explained:');
  });

  it('renders readable text with the sizing steps and the reasons a target cannot serve', () => {
    const text = renderPlanText(planWorkload(workload, [target('small', 4000), target('big', 10_000)]));
    expect(text).toContain('CANNOT SERVE');
    expect(text).toContain('maxRecordBytes: over 4000');
    expect(text).toContain('replicas per group: min 5, max 10');
  });
});
