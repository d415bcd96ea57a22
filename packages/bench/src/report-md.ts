/**
 * The side-by-side Markdown table: one column per target, one row per metric.
 *
 * @packageDocumentation
 */
import type { BenchReport, TargetOutcome } from './bench.js';
import type { CostEstimate } from './cost.js';
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
    const unit = (f: (c: CostEstimate) => string) =>
      t.map((o) => (o.cost && !('done' in o.cost) && o.cost.feasible ? f(o.cost) : '-'));
    rows.push(['service cost per million messages (USD)', unit((c) => usd(c.perMillionMessagesUsd))]);
    rows.push(['service cost per GB (USD)', unit((c) => usd(c.perGbUsd))]);
    rows.push(['prices: region, as of', unit((c) => `${c.regions.join(', ')}, ${c.pricesAsOf.join(', ')}`)]);
  }
  return rows;
}

const usd = (v: number | null) => (v === null ? '-' : v >= 100 ? num(v, 0) : num(v, 4));

function deltas(d: { p50: number; p99: number; max: number }): string {
  const s = (n: number) => `${n >= 0 ? '+' : ''}${num(n, 3)}`;
  return `${s(d.p50)} / ${s(d.p99)} / ${s(d.max)}`;
}

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * One row per target for `--overhead` / `--with-cost`: speedlayer and raw publish rates, the ratios, latency deltas
 * and the service cost per million messages and per GB. Empty when neither was asked for.
 */
export function summaryTable(report: BenchReport): string {
  const t = report.targets;
  if (!t.some((o) => o.overhead || o.cost || o.sweep?.raw)) return '';
  const lines = [
    '| target | stream | speedlayer publish (msg/s) | raw client | raw publish (msg/s) | publish ratio | consume ratio | publish p99 Δ (ms) | end-to-end p99 Δ (ms) | USD per million msgs | USD per GB |',
    '| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const o of t) {
    if (o.sweep?.raw) {
      // --rates / --sweep with --overhead: the highest sustained rates stand in for the averages.
      const rate = (r: number | null) => (r === null ? 'none sustained' : num(r, 0));
      lines.push(
        `| ${[
          o.target ?? '?',
          `\`${o.stream.replace(/\?.*/, '')}\``,
          `${rate(o.sweep.speedlayer.maxSustainedRate)} (highest sustained)`,
          o.sweep.raw.client,
          `${rate(o.sweep.raw.maxSustainedRate)} (highest sustained)`,
          o.sweep.maxSustainedRatio !== undefined ? num(o.sweep.maxSustainedRatio, 3) : '-',
          '-',
          '-',
          '-',
          ...(o.cost && !('done' in o.cost) && o.cost.feasible
            ? [usd(o.cost.perMillionMessagesUsd), usd(o.cost.perGbUsd)]
            : ['-', '-']),
        ]
          .map(esc)
          .join(' | ')} |`,
      );
      continue;
    }
    const ov = o.overhead?.done ? o.overhead : undefined;
    const c = o.cost && !('done' in o.cost) && o.cost.feasible ? o.cost : undefined;
    const sign = (n: number) => `${n >= 0 ? '+' : ''}${num(n, 2)}`;
    const cells = [
      o.target ?? '?',
      `\`${o.stream.replace(/\?.*/, '')}\``,
      o.result ? num(o.result.speedlayer.avgPublishRate, 0) : o.error ? `FAILED: ${o.error.message.split('\n')[0]}` : '-',
      ov ? ov.baseline : o.overhead && !o.overhead.done ? `not run: ${o.overhead.reason}` : '-',
      ov ? num(ov.raw.speedlayer.avgPublishRate, 0) : '-',
      ov ? num(ov.publishThroughputRatio, 3) : '-',
      ov ? num(ov.consumeThroughputRatio, 3) : '-',
      ov ? sign(ov.publishLatencyDeltaMs.p99) : '-',
      ov ? sign(ov.endToEndLatencyDeltaMs.p99) : '-',
      c ? usd(c.perMillionMessagesUsd) : '-',
      c ? usd(c.perGbUsd) : '-',
    ];
    lines.push(`| ${cells.map(esc).join(' | ')} |`);
  }
  const priced = t.flatMap((o) => (o.cost && !('done' in o.cost) ? [o.cost] : []));
  if (priced.length > 0) {
    lines.push(
      '',
      `Service cost at the measured publish rate and message size from the planner's price tables (compute left out): ${priced
        .map((c) => `${c.target} ${c.tier} (${c.regions.join(', ')}, prices as of ${c.pricesAsOf.join(', ')})`)
        .join('; ')}.`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The `--rates` / `--sweep` steps, one row per step and client; empty without a sweep. */
export function sweepTable(report: BenchReport): string {
  const swept = report.targets.filter((o) => o.sweep);
  if (swept.length === 0) return '';
  const lines = [
    '| target | client | target rate (msg/s) | publish (msg/s) | consume (msg/s) | publish p50 / p99 (ms) | end-to-end p50 / p99 (ms) | backlog at end | sustained |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  const notes: string[] = [];
  for (const o of swept) {
    const sw = o.sweep!;
    for (const r of [sw.speedlayer, ...(sw.raw ? [sw.raw] : [])]) {
      for (const st of r.steps) {
        lines.push(
          `| ${[
            o.target ?? '?',
            r.client,
            num(st.targetRate, 0),
            num(st.publishRate, 0),
            num(st.consumeRate, 0),
            `${num(st.publishP50Ms, 2)} / ${num(st.publishP99Ms, 2)}`,
            `${num(st.endToEndP50Ms, 2)} / ${num(st.endToEndP99Ms, 2)}`,
            num(st.backlogEnd, 0),
            st.sustained ? 'yes' : `no: ${st.reason ?? ''}`,
          ]
            .map(esc)
            .join(' | ')} |`,
        );
      }
      notes.push(
        `- ${o.target ?? o.stream} ${r.client}: highest sustained rate ${r.maxSustainedRate === null ? 'none' : `${num(r.maxSustainedRate, 0)} msg/s`}${r.stoppedBecause ? ` (stopped at ${r.stoppedBecause})` : ''}`,
      );
    }
    if (sw.maxSustainedRatio !== undefined) {
      notes.push(`- ${o.target ?? o.stream}: speedlayer / raw highest sustained rate = ${num(sw.maxSustainedRatio, 3)}`);
    }
  }
  return `${lines.join('\n')}\n\n${notes.join('\n')}\n`;
}

/** The side-by-side Markdown report. */
export function toMarkdown(report: BenchReport): string {
  const rows = comparisonRows(report);
  const summary = summaryTable(report);
  const sweep = sweepTable(report);
  const head = ['metric', ...report.targets.map((o) => `\`${o.stream}\``)];
  const lines = [
    `# speedlayer bench: ${report.workload}`,
    '',
    `Workload \`${report.workloadFile}\`, warm-up ${report.warmupSeconds} s, measured ${report.testSeconds} s, started ${report.startedAt}${report.aborted ? ' (stopped early)' : ''}.`,
    'Publish and end-to-end latency in ms, publish delay (intended vs actual send time) in µs; HDR histograms.',
    'End-to-end latency uses one clock: producer and consumer run in the same process.',
    '',
    ...(summary ? [summary] : []),
    ...(sweep ? [sweep] : []),
    `| ${head.map(esc).join(' | ')} |`,
    `| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map(([label, cells]) => `| ${[label, ...cells].map(esc).join(' | ')} |`),
    '',
  ];
  return lines.join('\n');
}
