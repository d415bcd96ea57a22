import { describe, expect, it } from 'vitest';
import {
  type BenchReport,
  isComputeCostLine,
  judgeStep,
  nextRate,
  parseRates,
  type SweepResult,
  type SweepStep,
  summaryTable,
  sweepTable,
  toHtml,
  unitCosts,
} from '../src/index.js';

const step = (targetRate: number, over: Partial<SweepStep> = {}): SweepStep => ({
  targetRate,
  publishRate: targetRate,
  consumeRate: targetRate,
  publishP50Ms: 1,
  publishP99Ms: 3,
  endToEndP50Ms: 2,
  endToEndP99Ms: 5,
  backlogEnd: 0,
  backlogGrowthPerSec: 0,
  errors: 0,
  sustained: true,
  ...over,
});

describe('bench/sweep/parseRates', () => {
  it('reads k and m suffixes, sorts and removes duplicates', () => {
    expect(parseRates('5k, 1k,500,2.5k,1m,1000')).toEqual([500, 1000, 2500, 5000, 1_000_000]);
  });

  it.each(['', '1k,,2k', 'fast', '-5', '0', '1g'])('refuses "%s" naming --rates', (text) => {
    expect(() => parseRates(text)).toThrow(expect.objectContaining({ field: '--rates' }));
  });
});

describe('bench/sweep/judgeStep', () => {
  it('sustains a step that meets its rate with flat latency and backlog', () => {
    expect(judgeStep(step(1000), 5)).toEqual({ sustained: true });
  });

  it('fails a step whose publish rate falls short of 90% of the target', () => {
    expect(judgeStep(step(1000, { publishRate: 850 }), 5)).toMatchObject({ sustained: false, reason: /850 msg\/s/ });
  });

  it('fails a step with failed sends', () => {
    expect(judgeStep(step(1000, { errors: 3 }), 5)).toMatchObject({ sustained: false, reason: '3 failed sends' });
  });

  it('fails when end-to-end p99 runs past 10x the first step, but not below the 200 ms floor', () => {
    expect(judgeStep(step(1000, { endToEndP99Ms: 150 }), 5).sustained).toBe(true);
    expect(judgeStep(step(1000, { endToEndP99Ms: 260 }), 25)).toMatchObject({
      sustained: false,
      reason: /p99 260 ms above 250 ms/,
    });
    expect(judgeStep(step(1000, { endToEndP99Ms: 260 }), 30).sustained).toBe(true);
  });

  it('does not judge the first step on its own latency (it is the reference)', () => {
    expect(judgeStep(step(1000, { endToEndP99Ms: 900 }), undefined).sustained).toBe(true);
    expect(judgeStep(step(1000, { endToEndP99Ms: 900, publishRate: 10 }), undefined).sustained).toBe(false);
  });

  it('fails when the backlog is above a second of traffic and still growing, not when it drains', () => {
    expect(judgeStep(step(1000, { backlogEnd: 5000, backlogGrowthPerSec: 800 }), 5)).toMatchObject({
      sustained: false,
      reason: /backlog 5000/,
    });
    expect(judgeStep(step(1000, { backlogEnd: 5000, backlogGrowthPerSec: -100 }), 5).sustained).toBe(true);
  });
});

describe('bench/sweep/nextRate', () => {
  it('runs fixed rates in order and stops after the first runaway step', () => {
    const o = { rates: [1000, 5000, 10000] };
    expect(nextRate([], o)).toBe(1000);
    expect(nextRate([step(1000)], o)).toBe(5000);
    expect(nextRate([step(1000), step(5000, { sustained: false })], o)).toBeUndefined();
    expect(nextRate([step(1000), step(5000, { sustained: false })], { ...o, continueAfterRunaway: true })).toBe(10000);
    expect(nextRate([step(1000), step(5000), step(10000)], o)).toBeUndefined();
  });

  it('doubles until a step fails, then bisects until the gap is within the resolution', () => {
    const o = { startRate: 1000, maxSteps: 20 };
    const steps: SweepStep[] = [];
    const capacity = 5500;
    for (let r = nextRate(steps, o); r !== undefined; r = nextRate(steps, o)) {
      steps.push(step(r, { sustained: r <= capacity }));
    }
    const rates = steps.map((s) => s.targetRate);
    expect(rates.slice(0, 4)).toEqual([1000, 2000, 4000, 8000]);
    expect(rates[4]).toBe(6000);
    const best = Math.max(...steps.filter((s) => s.sustained).map((s) => s.targetRate));
    const lowFail = Math.min(...steps.filter((s) => !s.sustained).map((s) => s.targetRate));
    expect(best).toBeLessThanOrEqual(capacity);
    expect((lowFail - best) / best).toBeLessThanOrEqual(0.15);
  });

  it('halves from the start rate when even the first step fails, and respects maxSteps', () => {
    expect(nextRate([step(1000, { sustained: false })], {})).toBe(500);
    const many = Array.from({ length: 3 }, (_, i) => step(1000 * 2 ** i));
    expect(nextRate(many, { maxSteps: 3 })).toBeUndefined();
  });
});

describe('bench/cost units', () => {
  it('spreads a monthly service cost over the messages and bytes of the measured rate', () => {
    // 1000 msg/s for a 730 h month = 2,628,000,000 messages; 1 KB each = 2,628 GB
    const u = unitCosts(2628, 1000, 1000);
    expect(u.perMillionMessagesUsd).toBeCloseTo(1, 6);
    expect(u.perGbUsd).toBeCloseTo(1, 6);
    expect(unitCosts(null, 1000, 1000)).toEqual({ perMillionMessagesUsd: null, perGbUsd: null });
    expect(unitCosts(100, 0, 1000)).toEqual({ perMillionMessagesUsd: null, perGbUsd: null });
  });

  it.each([
    ['shard-hours', false],
    ['PUT payload units', false],
    ['MSK Serverless cluster-hours', false],
    ['Premium PU-hours (1 PU)', false],
    ['EKS control plane cluster-hours', true],
    ['pod vCPU-hours (4 pods x 0.5 vCPU)', true],
    ['Fargate GB-hours (2 tasks x 1 GB)', true],
    ['GKE cluster-hours', true],
  ])('"%s" is compute: %s', (item, compute) => {
    expect(isComputeCostLine(item)).toBe(compute);
  });
});

describe('bench/report: sweep and summary', () => {
  const sweep = (client: string, steps: SweepStep[]): SweepResult => ({
    client,
    steps,
    maxSustainedRate: Math.max(...steps.filter((s) => s.sustained).map((s) => s.targetRate)),
    stoppedBecause: '8000 msg/s: end-to-end p99 900 ms above 200 ms',
  });
  const report: BenchReport = {
    workload: 'w',
    workloadFile: 'w.yaml',
    startedAt: '2026-01-01T00:00:00.000Z',
    warmupSeconds: 1,
    testSeconds: 3,
    aborted: false,
    targets: [
      {
        stream: 'kafka://127.0.0.1:9092',
        target: 'aws-msk-eks',
        sweep: {
          speedlayer: sweep('speedlayer', [step(2000), step(1000), step(8000, { sustained: false, endToEndP99Ms: 900 })]),
          raw: sweep('raw-kafkajs', [step(1000), step(4000)]),
          maxSustainedRatio: 0.5,
        },
      },
      { stream: 'kinesis://us-east-1?endpoint=http://127.0.0.1:5000', error: { message: 'unreachable' } },
    ],
  };

  it('lists every step per client with the highest sustained rate and the ratio', () => {
    const md = sweepTable(report);
    expect(md.split('\n').filter((l) => l.startsWith('| aws-msk-eks | speedlayer |'))).toHaveLength(3);
    expect(md).toContain('| aws-msk-eks | raw-kafkajs | 4,000 |');
    expect(md).toContain('no: ');
    expect(md).toContain('speedlayer: highest sustained rate 2,000 msg/s (stopped at 8000 msg/s');
    expect(md).toContain('speedlayer / raw highest sustained rate = 0.5');
  });

  it('draws latency-against-rate charts with one series per client, points sorted by rate', () => {
    const html = toHtml(report);
    for (const id of ['sweep-end-to-end-p99', 'sweep-end-to-end-p50', 'sweep-publish-p99']) {
      expect(html).toContain(`data-chart="${id}"`);
    }
    expect(html).toContain('data-series="aws-msk-eks speedlayer" data-points="3"');
    expect(html).toContain('data-series="aws-msk-eks raw-kafkajs" data-points="2"');
  });

  it('gives the highest sustained rates and their ratio in the summary when both clients were swept', () => {
    const md = summaryTable({
      ...report,
      targets: report.targets.map((t) => ({ ...t, overhead: { done: false, reason: 'swept' } })),
    });
    expect(md).toContain(
      '| aws-msk-eks | `kafka://127.0.0.1:9092` | 2,000 (highest sustained) | raw-kafkajs | 4,000 (highest sustained) | 0.5 |',
    );
  });

  it('has no summary table without --overhead or --with-cost, and marks a failed target in it otherwise', () => {
    expect(summaryTable({ ...report, targets: report.targets.filter((t) => !t.sweep) })).toBe('');
    const withOverhead: BenchReport = {
      ...report,
      targets: [...report.targets, { stream: 'pubsub://p-123456', overhead: { done: false, reason: 'stopped' } }],
    };
    const md = summaryTable(withOverhead);
    expect(md).toContain('FAILED: unreachable');
    expect(md).toContain('not run: stopped');
  });
});
