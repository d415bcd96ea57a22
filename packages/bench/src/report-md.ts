/**
 * The side-by-side Markdown table: one column per target, one row per metric.
 *
 * @packageDocumentation
 */
import type { BenchReport, TargetOutcome } from './bench.js';
import { aggregatedValue, REPORT_PERCENTILES } from './result.js';

const num = (n: number, digits = 2) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 }) : '-';

/** A file name for one target's OMB result JSON: `<workload>-<driver>-<n>.json`, safe on every OS. */
export function resultFileName(workload: string, outcome: TargetOutcome, index: number): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '');
  return `${clean(workload)}-${clean(outcome.target ?? 'unknown')}-${index + 1}.json`;
}

/** Rows of the comparison: label and a cell per target. */
export function comparisonRows(report: BenchReport): Array<[string, string[]]> {
  const t = report.targets;
  const cell = (f: (o: TargetOutcome) => string) => t.map((o) => (o.result ? f(o) : o.error ? '-' : 'n/a'));
  const rows: Array<[string, string[]]> = [
    ['target', t.map((o) => o.target ?? '?')],
    [
      'status',
      t.map((o) =>
        o.error ? `FAILED: ${o.error.message.split('\n')[0]}` : o.result?.speedlayer.aborted ? 'stopped early' : 'ok',
      ),
    ],
    ['publish rate (msg/s)', cell((o) => num(o.result!.speedlayer.avgPublishRate, 1))],
    ['consume rate (msg/s)', cell((o) => num(o.result!.speedlayer.avgConsumeRate, 1))],
    ['publish throughput (MB/s)', cell((o) => num(o.result!.speedlayer.avgPublishMBps, 3))],
    ['backlog at end (msgs)', cell((o) => num(o.result!.backlog.at(-1) ?? 0, 0))],
    ['publish errors', cell((o) => num(o.result!.speedlayer.publishErrors, 0))],
  ];
  for (const [label, suffix] of REPORT_PERCENTILES) {
    rows.push([`publish latency ${label} (ms)`, cell((o) => num(aggregatedValue(o.result!, 'PublishLatency', suffix), 3))]);
  }
  for (const [label, suffix] of REPORT_PERCENTILES) {
    rows.push([`publish delay ${label} (µs)`, cell((o) => num(aggregatedValue(o.result!, 'PublishDelayLatency', suffix), 0))]);
  }
  for (const [label, suffix] of REPORT_PERCENTILES) {
    rows.push([`end-to-end latency ${label} (ms)`, cell((o) => num(aggregatedValue(o.result!, 'EndToEndLatency', suffix), 3))]);
  }
  if (t.some((o) => o.result?.speedlayer.maxRate)) {
    rows.push([
      'max-rate search settled at (msg/s)',
      cell((o) => (o.result!.speedlayer.maxRate ? num(o.result!.speedlayer.maxRate.final, 0) : '-')),
    ]);
  }
  if (t.some((o) => o.overhead)) {
    const ov = (f: (o: Extract<NonNullable<TargetOutcome['overhead']>, { done: true }>) => string) =>
      t.map((o) => (o.overhead?.done ? f(o.overhead) : o.overhead ? `not done: ${o.overhead.reason}` : '-'));
    rows.push(['overhead: baseline', ov((o) => o.baseline)]);
    rows.push(['overhead: publish throughput ratio (speedlayer / raw)', ov((o) => num(o.publishThroughputRatio, 3))]);
    rows.push(['overhead: consume throughput ratio (speedlayer / raw)', ov((o) => num(o.consumeThroughputRatio, 3))]);
    rows.push(['overhead: raw publish rate (msg/s)', ov((o) => num(o.raw.speedlayer.avgPublishRate, 1))]);
    rows.push(['overhead: publish latency Δ p50 / p99 / max (ms)', ov((o) => deltas(o.publishLatencyDeltaMs))]);
    rows.push(['overhead: end-to-end latency Δ p50 / p99 / max (ms)', ov((o) => deltas(o.endToEndLatencyDeltaMs))]);
  }
  if (t.some((o) => o.cost)) {
    rows.push([
      'monthly cost at measured rate (USD)',
      t.map((o) => {
        const c = o.cost;
        if (!c) return '-';
        if ('done' in c) return `n/a: ${c.reason}`;
        return c.feasible && c.monthlyCostUsd !== null
          ? `${num(c.monthlyCostUsd, 2)} (${c.tier}, ${c.partitions ?? 'no'} partitions)`
          : `infeasible: ${c.notes[0] ?? ''}`;
      }),
    ]);
  }
  return rows;
}

function deltas(d: { p50: number; p99: number; max: number }): string {
  const s = (n: number) => `${n >= 0 ? '+' : ''}${num(n, 3)}`;
  return `${s(d.p50)} / ${s(d.p99)} / ${s(d.max)}`;
}

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The side-by-side Markdown report. */
export function toMarkdown(report: BenchReport): string {
  const rows = comparisonRows(report);
  const head = ['metric', ...report.targets.map((o) => `\`${o.stream}\``)];
  const lines = [
    `# speedlayer bench: ${report.workload}`,
    '',
    `Workload \`${report.workloadFile}\`, warm-up ${report.warmupSeconds} s, measured ${report.testSeconds} s, started ${report.startedAt}${report.aborted ? ' (stopped early)' : ''}.`,
    'Publish and end-to-end latency in ms, publish delay (intended vs actual send time) in µs; HDR histograms.',
    'End-to-end latency uses one clock: producer and consumer run in the same process.',
    '',
    `| ${head.map(esc).join(' | ')} |`,
    `| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map(([label, cells]) => `| ${[label, ...cells].map(esc).join(' | ')} |`),
    '',
  ];
  return lines.join('\n');
}
