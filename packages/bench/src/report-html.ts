/**
 * The HTML report: one self-contained file with inline SVG charts (no script, no network at view time):
 * throughput and backlog over time, and publish / publish-delay / end-to-end latency by percentile (OMB's
 * quantile charts, log-scaled toward the tail), plus the side-by-side table.
 *
 * @packageDocumentation
 */
import type { BenchReport } from './bench.js';
import { comparisonRows } from './report-md.js';
import type { BenchResult } from './result.js';
import type { SweepStep } from './sweep.js';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** One line of a chart. */
export interface ChartSeries {
  name: string;
  points: Array<[number, number]>;
}

interface ChartSpec {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
  /** `percentile`: x is a percentile, drawn on log10(100 / (100 - p)). */
  xScale: 'linear' | 'percentile';
}

const W = 640;
const H = 320;
const M = { left: 72, right: 28, top: 36, bottom: 48 };

/** x position of a percentile on the tail-stretching scale (50 -> 0.3, 99 -> 2, 99.99 -> 4). */
export function percentileX(p: number): number {
  return Math.log10(100 / Math.max(1e-3, 100 - Math.min(p, 99.999)));
}

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const e = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (v <= m * e) return m * e;
  return 10 * e;
}

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 2 });
const fmt = (n: number) => (Math.abs(n) >= 10_000 ? compact.format(n) : String(Math.round(n * 1000) / 1000));

/** Renders one chart as an SVG element. */
export function svgChart(spec: ChartSpec): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const xOf = spec.xScale === 'percentile' ? percentileX : (x: number) => x;
  const all = spec.series.flatMap((s) => s.points);
  const xs = all.map(([x]) => xOf(x));
  const xMin = spec.xScale === 'percentile' ? 0 : Math.min(0, ...xs);
  const xMax = spec.xScale === 'percentile' ? 5 : niceMax(Math.max(1e-9, ...xs));
  const yMax = niceMax(Math.max(0, ...all.map(([, y]) => y)));
  const sx = (x: number) => M.left + ((xOf(x) - xMin) / (xMax - xMin || 1)) * pw;
  const sy = (y: number) => M.top + ph - (y / yMax) * ph;
  const parts: string[] = [];
  parts.push(
    `<svg class="chart" data-chart="${esc(spec.id)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(spec.title)}">`,
  );
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" class="title">${esc(spec.title)}</text>`);
  // grid and axes
  for (let i = 0; i <= 4; i++) {
    const y = (yMax * i) / 4;
    parts.push(`<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${sy(y)}" y2="${sy(y)}"/>`);
    parts.push(`<text class="tick" x="${M.left - 6}" y="${sy(y) + 4}" text-anchor="end">${fmt(y)}</text>`);
  }
  const xTicks =
    spec.xScale === 'percentile'
      ? [0, 50, 90, 99, 99.9, 99.99, 99.999]
      : Array.from({ length: 5 }, (_, i) => xMin + ((xMax - xMin) * i) / 4);
  for (const x of xTicks) {
    const px = spec.xScale === 'percentile' ? M.left + ((percentileX(x) - xMin) / (xMax - xMin)) * pw : sx(x);
    parts.push(`<line class="grid" x1="${px}" x2="${px}" y1="${M.top}" y2="${M.top + ph}"/>`);
    parts.push(`<text class="tick" x="${px}" y="${M.top + ph + 16}" text-anchor="middle">${fmt(x)}</text>`);
  }
  parts.push(`<line class="axis" x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}"/>`);
  parts.push(`<line class="axis" x1="${M.left}" x2="${W - M.right}" y1="${M.top + ph}" y2="${M.top + ph}"/>`);
  parts.push(`<text class="label" x="${M.left + pw / 2}" y="${H - 10}" text-anchor="middle">${esc(spec.xLabel)}</text>`);
  parts.push(
    `<text class="label" transform="translate(14 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`,
  );
  spec.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const d = s.points.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    parts.push(`<g class="series" data-series="${esc(s.name)}" data-points="${s.points.length}">`);
    if (s.points.length > 1) parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const [x, y] of s.points) {
      parts.push(
        `<circle class="point" cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${color}"><title>${esc(s.name)}: ${fmt(x)} → ${fmt(y)}</title></circle>`,
      );
    }
    parts.push('</g>');
    // legend
    const ly = M.top + 4 + i * 16;
    parts.push(
      `<rect class="legend-bg" x="${W - M.right - 194}" y="${ly - 12}" width="190" height="16" fill="#fff" fill-opacity="0.8"/>`,
    );
    parts.push(`<rect x="${W - M.right - 190}" y="${ly - 9}" width="10" height="10" fill="${color}"/>`);
    parts.push(
      `<text class="legend" x="${W - M.right - 176}" y="${ly}">${esc(s.name.length > 30 ? `${s.name.slice(0, 29)}…` : s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function quantileSeries(r: BenchResult, field: keyof BenchResult): Array<[number, number]> {
  const q = r[field] as Record<string, number>;
  return Object.entries(q)
    .map(([p, v]) => [Number(p), v] as [number, number])
    .filter(([p]) => p < 100)
    .sort((a, b) => a[0] - b[0]);
}

/** The charts of a report. */
export function reportCharts(report: BenchReport): string[] {
  const ok = report.targets.filter((o) => o.result);
  const label = (o: (typeof ok)[number]) => `${o.stream}`;
  const timeSeries = (f: (r: BenchResult) => number[]) =>
    ok.map((o) => {
      const r = o.result!;
      const at = r.speedlayer.sampleSeconds;
      const step = r.speedlayer.sampleIntervalSeconds;
      return { name: label(o), points: f(r).map((v, i) => [at[i] ?? (i + 1) * step, v] as [number, number]) };
    });
  const charts: ChartSpec[] = [
    {
      id: 'publish-rate',
      title: 'Publish rate',
      xLabel: 'seconds into the measured phase',
      yLabel: 'msg/s',
      xScale: 'linear',
      series: timeSeries((r) => r.publishRate),
    },
    {
      id: 'consume-rate',
      title: 'Consume rate (all subscriptions)',
      xLabel: 'seconds into the measured phase',
      yLabel: 'msg/s',
      xScale: 'linear',
      series: timeSeries((r) => r.consumeRate),
    },
    {
      id: 'backlog',
      title: 'Backlog',
      xLabel: 'seconds into the measured phase',
      yLabel: 'messages',
      xScale: 'linear',
      series: timeSeries((r) => r.backlog),
    },
    {
      id: 'publish-latency',
      title: 'Publish latency by percentile',
      xLabel: 'percentile',
      yLabel: 'ms',
      xScale: 'percentile',
      series: ok.map((o) => ({ name: label(o), points: quantileSeries(o.result!, 'aggregatedPublishLatencyQuantiles') })),
    },
    {
      id: 'publish-delay',
      title: 'Publish delay (intended vs actual send) by percentile',
      xLabel: 'percentile',
      yLabel: 'µs',
      xScale: 'percentile',
      series: ok.map((o) => ({ name: label(o), points: quantileSeries(o.result!, 'aggregatedPublishDelayLatencyQuantiles') })),
    },
    {
      id: 'end-to-end-latency',
      title: 'End-to-end latency by percentile',
      xLabel: 'percentile',
      yLabel: 'ms',
      xScale: 'percentile',
      series: ok.map((o) => ({ name: label(o), points: quantileSeries(o.result!, 'aggregatedEndToEndLatencyQuantiles') })),
    },
  ];
  const swept = report.targets.filter((o) => o.sweep);
  if (swept.length > 0) {
    const curves = (f: (st: SweepStep) => number) =>
      swept.flatMap((o) =>
        [o.sweep!.speedlayer, ...(o.sweep!.raw ? [o.sweep!.raw] : [])].map((r) => ({
          name: `${o.target ?? o.stream} ${r.client}`,
          points: r.steps.map((st) => [st.publishRate, f(st)] as [number, number]).sort((a, b) => a[0] - b[0]),
        })),
      );
    charts.push(
      {
        id: 'sweep-end-to-end-p99',
        title: 'End-to-end latency p99 against publish rate',
        xLabel: 'publish rate (msg/s)',
        yLabel: 'ms',
        xScale: 'linear',
        series: curves((st) => st.endToEndP99Ms),
      },
      {
        id: 'sweep-end-to-end-p50',
        title: 'End-to-end latency p50 against publish rate',
        xLabel: 'publish rate (msg/s)',
        yLabel: 'ms',
        xScale: 'linear',
        series: curves((st) => st.endToEndP50Ms),
      },
      {
        id: 'sweep-publish-p99',
        title: 'Publish latency p99 against publish rate',
        xLabel: 'publish rate (msg/s)',
        yLabel: 'ms',
        xScale: 'linear',
        series: curves((st) => st.publishP99Ms),
      },
    );
  }
  return charts.map(svgChart);
}

/** The self-contained HTML report. */
export function toHtml(report: BenchReport): string {
  const rows = comparisonRows(report);
  const table = [
    '<table class="comparison">',
    `<thead><tr><th>metric</th>${report.targets.map((o) => `<th>${esc(o.stream)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...rows.map(([l, cells]) => `<tr><th>${esc(l)}</th>${cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`),
    '</tbody></table>',
  ].join('\n');
  const failures = report.targets.filter((o) => o.error);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>speedlayer bench: ${esc(report.workload)}</title>
<style>
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; margin: 0 0 4px; }
p.meta { color: #555; margin: 0 0 16px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(640px, 1fr)); gap: 12px; }
svg.chart { background: #fff; border: 1px solid #ddd; border-radius: 4px; max-width: 100%; height: auto; }
svg .title { font-size: 14px; font-weight: 600; }
svg .tick, svg .legend { font-size: 11px; fill: #444; }
svg .label { font-size: 12px; fill: #333; }
svg .grid { stroke: #eee; }
svg .axis { stroke: #888; }
table.comparison { border-collapse: collapse; margin-top: 16px; }
table.comparison th, table.comparison td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
table.comparison th:first-child { text-align: left; font-weight: normal; }
.failed { color: #b00; }
</style>
</head>
<body>
<h1>speedlayer bench: ${esc(report.workload)}</h1>
<p class="meta">workload ${esc(report.workloadFile)} · warm-up ${report.warmupSeconds} s · measured ${report.testSeconds} s · started ${esc(report.startedAt)}${report.aborted ? ' · stopped early' : ''} · HDR histograms; end-to-end latency on one host clock</p>
${failures.map((o) => `<p class="failed">${esc(o.stream)}: ${esc(o.error!.message)}</p>`).join('\n')}
<div class="charts">
${reportCharts(report).join('\n')}
</div>
${table}
</body>
</html>
`;
}
