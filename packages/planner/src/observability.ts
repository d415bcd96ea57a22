/**
 * Prometheus alert rules and a Grafana dashboard for a planned workload, the same on every target: the worker
 * serves the same metrics everywhere (`/metrics` on its health port), so the files are emitted once here, not per
 * adapter. Thresholds come from the workload (processing time per record, peak rate per partition).
 *
 * Metric names are the ones `/metrics` exports: the OpenTelemetry instruments of `@speedlayer/core` through the
 * OpenTelemetry Prometheus exporter (dots become underscores, counters end in `_total`, no unit suffix), and the
 * worker's own prom-client counters. {@link PROMETHEUS_METRICS} lists them.
 *
 * @packageDocumentation
 */
import { stringify } from 'yaml';
import type { WorkloadLoad } from './load.js';
import type { EmitContext, EmittedFile, TargetPlan } from './target.js';
import type { Workload } from './workload.js';

/** The Prometheus metric names the worker's `/metrics` serves, by what they measure. */
export const PROMETHEUS_METRICS = {
  /** Counter: messages the target acknowledged (labels `messaging_destination_name`, `messaging_system`). */
  sent: 'messaging_client_sent_messages_total',
  /** Counter: messages whose send failed (`error_type`). */
  sendFailed: 'speedlayer_client_send_failed_messages_total',
  /** Counter: messages whose handler succeeded (`messaging_consumer_group_name`, `messaging_destination_partition_id`). */
  consumed: 'messaging_client_consumed_messages_total',
  /** Counter: handler attempts that failed, each retry counts (`error_type`). */
  failedAttempts: 'speedlayer_consumer_failed_attempts_total',
  /** Histogram (seconds): duration of `send()` calls. */
  sendDuration: 'messaging_client_operation_duration',
  /** Histogram (seconds): duration of handler attempts. */
  processDuration: 'messaging_process_duration',
  /** Gauge: handler attempts running now. */
  inFlight: 'speedlayer_consumer_in_flight',
  /** Gauge: messages written and not yet checkpointed by the group, per partition. */
  lagMessages: 'messaging_consumer_lag',
  /** Gauge (seconds): age of the oldest message not yet checkpointed by the group, per partition. */
  lagSeconds: 'messaging_consumer_lag_age',
  /** Counter: messages the worker's subscription dead-lettered (labels `topic`, `group`). */
  deadLettered: 'speedlayer_worker_messages_dead_lettered_total',
  /** Counter: messages the worker's handler finished (`topic`, `group`). */
  handled: 'speedlayer_worker_messages_handled_total',
  /** Gauge: partitions this worker owns now (`topic`, `group`); one series per running replica. */
  assignedPartitions: 'speedlayer_worker_assigned_partitions',
} as const;

/** Thresholds of the alert rules, derived from the workload. */
export interface AlertThresholds {
  /** Warning when the oldest unprocessed message of a partition is older than this (s). */
  readonly lagSecondsWarning: number;
  /** Critical lag age (s). */
  readonly lagSecondsCritical: number;
  /** Warning when a partition has more unprocessed messages than this. */
  readonly lagMessagesWarning: number;
  /** Critical lag in messages. */
  readonly lagMessagesCritical: number;
  /** Warning when this fraction of handler attempts fails (0-1). */
  readonly failureRatio: number;
  /** How each number was derived. */
  readonly derivation: { readonly lagSeconds: string; readonly lagMessages: string; readonly failures: string };
}

/** Lag age budget: this many records' worth of processing time... */
export const LAG_SECONDS_PER_RECORD_FACTOR = 1000;
/** ...but never less than a minute (a scrape interval and a rebalance fit in it). */
export const MIN_LAG_SECONDS = 60;
/** Critical = this x warning, for lag in seconds and in messages. */
export const CRITICAL_FACTOR = 5;

/**
 * Derives the alert thresholds of a workload on a plan with `partitions` partitions (null: one backlog, as Pub/Sub).
 * @example
 * ```ts
 * import { alertThresholds, deriveLoad, type Workload } from '@speedlayer/planner';
 * declare const workload: Workload;
 * const load = deriveLoad(workload);
 * alertThresholds(workload, load, 24).lagSecondsWarning; // max(60, 1000 x 2 ms) = 60 for 2 ms per record
 * ```
 */
export function alertThresholds(workload: Workload, load: WorkloadLoad, partitions: number | null): AlertThresholds {
  const perRecordSec = workload.processing.msPerRecord / 1000;
  const lagSecondsWarning = Math.max(MIN_LAG_SECONDS, Math.ceil(LAG_SECONDS_PER_RECORD_FACTOR * perRecordSec));
  const parts = partitions ?? 1;
  const perPartitionPeak = load.peakRecordsPerSec / parts;
  const lagMessagesWarning = Math.max(100, Math.ceil(perPartitionPeak * lagSecondsWarning));
  return {
    lagSecondsWarning,
    lagSecondsCritical: lagSecondsWarning * CRITICAL_FACTOR,
    lagMessagesWarning,
    lagMessagesCritical: lagMessagesWarning * CRITICAL_FACTOR,
    failureRatio: 0.05,
    derivation: {
      lagSeconds: `lag seconds warning = max(${MIN_LAG_SECONDS}, ${LAG_SECONDS_PER_RECORD_FACTOR} x ${workload.processing.msPerRecord} ms per record) = ${lagSecondsWarning} s; critical = ${CRITICAL_FACTOR} x = ${lagSecondsWarning * CRITICAL_FACTOR} s`,
      lagMessages: `lag messages warning = max(100, peak ${round(load.peakRecordsPerSec)} records/s / ${parts} partition(s) x ${lagSecondsWarning} s) = ${lagMessagesWarning}; critical = ${CRITICAL_FACTOR} x = ${lagMessagesWarning * CRITICAL_FACTOR}`,
      failures: 'handler failure ratio warning = 5% of attempts over 5 minutes; any dead letter in 10 minutes warns',
    },
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** A regular expression matching exactly these names (PromQL `=~` is anchored). */
function alternation(names: readonly string[]): string {
  return names.map((n) => n.replace(/[.\\^$|?*+()[\]{}]/g, (c) => `\\${c}`)).join('|');
}

/** Label matchers of the workload's consumer series (OpenTelemetry labels). */
function otelSelector(topic: string, groups: readonly string[]): string {
  return `messaging_destination_name="${topic}",messaging_consumer_group_name=~"${alternation(groups)}"`;
}

/** Label matchers of the worker's prom-client series. */
function workerSelector(topic: string, groups: readonly string[]): string {
  return `topic="${topic}",group=~"${alternation(groups)}"`;
}

/** Runbook steps per alert kind, naming the workload's topic (`<uri>` and `<group>` stay for the reader to fill). */
const runbook = (topic: string) => ({
  lag: [
    '1. Check the dashboard: is consumption below production (throughput panel) or stopped (replicas, in flight)?',
    '2. Handler slow (duration p99 up): scale the consumer group out up to one replica per partition, or fix the slow dependency.',
    '3. Replicas at the partition count: grow partitions/shards (see `speedlayer plan` repartitioning) or make the handler faster.',
    '4. One partition only: a hot key or a stuck handler; the worker log names handlers stuck at drain.',
    '5. `speedlayer lag --stream <uri> --topic <topic> --group <group>` shows the lag the target reports.',
  ]
    .join('\n')
    .replaceAll('<topic>', topic),
  failures: [
    '1. Read the worker log: each failed attempt is one structured line with the error (no payload).',
    '2. Non-retriable errors go to the dead-letter topic at once; retriable ones back off up to maxAttempts.',
    '3. A dependency outage: the lag alerts follow; fix the dependency, the worker retries.',
  ].join('\n'),
  deadLetters: [
    '1. Read the dead-lettered messages with `speedlayer consume --topic <topic>.dlq`; the speedlayer-error-* headers name the error.',
    '2. Fix the handler or the data, then replay with `speedlayer migrate` from <topic>.dlq to <topic>.',
  ]
    .join('\n')
    .replaceAll('<topic>', topic),
});

/** The Prometheus rule file (`groups:` of alerting rules) for the workload, as YAML text. */
export function alertRulesYaml(
  plan: TargetPlan,
  workload: Workload,
  load: WorkloadLoad,
  context: EmitContext,
  thresholds = alertThresholds(workload, load, plan.partitions),
): string {
  const topic = workload.name;
  const steps = runbook(topic);
  const sel = otelSelector(topic, load.groups);
  const wsel = workerSelector(topic, load.groups);
  const by = 'messaging_consumer_group_name, messaging_destination_partition_id';
  const labels = (severity: string) => ({ severity, workload: workload.name, target: plan.target });
  const lagDescription = (what: string) =>
    `Group {{ $labels.messaging_consumer_group_name }} is ${what} on partition {{ $labels.messaging_destination_partition_id }} of ${topic}.`;
  const m = PROMETHEUS_METRICS;
  const failed = `sum by (messaging_consumer_group_name) (rate(${m.failedAttempts}{${sel}}[5m]))`;
  const consumed = `sum by (messaging_consumer_group_name) (rate(${m.consumed}{${sel}}[5m]))`;
  const rules = [
    {
      alert: 'SpeedlayerConsumerLagSecondsHigh',
      expr: `max by (${by}) (${m.lagSeconds}{${sel}}) > ${thresholds.lagSecondsWarning}`,
      for: '5m',
      labels: labels('warning'),
      annotations: {
        summary: `${topic}: consumer lag above ${thresholds.lagSecondsWarning} s`,
        description: lagDescription('{{ $value | humanizeDuration }} behind'),
        threshold: thresholds.derivation.lagSeconds,
        runbook: steps.lag,
      },
    },
    {
      alert: 'SpeedlayerConsumerLagSecondsCritical',
      expr: `max by (${by}) (${m.lagSeconds}{${sel}}) > ${thresholds.lagSecondsCritical}`,
      for: '10m',
      labels: labels('critical'),
      annotations: {
        summary: `${topic}: consumer lag above ${thresholds.lagSecondsCritical} s`,
        description: lagDescription('{{ $value | humanizeDuration }} behind'),
        threshold: thresholds.derivation.lagSeconds,
        runbook: steps.lag,
      },
    },
    {
      alert: 'SpeedlayerConsumerLagMessagesHigh',
      expr: `max by (${by}) (${m.lagMessages}{${sel}}) > ${thresholds.lagMessagesWarning}`,
      for: '5m',
      labels: labels('warning'),
      annotations: {
        summary: `${topic}: more than ${thresholds.lagMessagesWarning} messages behind on a partition`,
        description: lagDescription('{{ $value }} messages behind'),
        threshold: thresholds.derivation.lagMessages,
        runbook: steps.lag,
      },
    },
    {
      alert: 'SpeedlayerConsumerLagMessagesCritical',
      expr: `max by (${by}) (${m.lagMessages}{${sel}}) > ${thresholds.lagMessagesCritical}`,
      for: '10m',
      labels: labels('critical'),
      annotations: {
        summary: `${topic}: more than ${thresholds.lagMessagesCritical} messages behind on a partition`,
        description: lagDescription('{{ $value }} messages behind'),
        threshold: thresholds.derivation.lagMessages,
        runbook: steps.lag,
      },
    },
    {
      alert: 'SpeedlayerHandlerFailureRateHigh',
      // `or ... * 0`: a group whose every attempt fails has no consumed series, and still alerts
      expr: `${failed} / (${failed} + (${consumed} or ${failed} * 0)) > ${thresholds.failureRatio}`,
      for: '10m',
      labels: labels('warning'),
      annotations: {
        summary: `${topic}: more than ${thresholds.failureRatio * 100}% of handler attempts fail`,
        description: `{{ $value | humanizePercentage }} of the handler attempts of group {{ $labels.messaging_consumer_group_name }} fail.`,
        threshold: thresholds.derivation.failures,
        runbook: steps.failures,
      },
    },
    {
      alert: 'SpeedlayerDeadLetters',
      expr: `sum by (group) (increase(${m.deadLettered}{${wsel}}[10m])) > 0`,
      for: '1m',
      labels: labels('warning'),
      annotations: {
        summary: `${topic}: messages were dead-lettered to ${topic}.dlq`,
        description: 'Group {{ $labels.group }} dead-lettered {{ $value | humanize }} messages in the last 10 minutes.',
        threshold: thresholds.derivation.failures,
        runbook: steps.deadLetters,
      },
    },
  ];
  // alerts on series the workers never export would never fire: leave them out and say so
  const noLag = plan.lagMetrics === false;
  const kept = noLag ? rules.filter((r) => !r.alert.startsWith('SpeedlayerConsumerLag')) : rules;
  const header = [
    `# Generated by ${context.generator} plan for workload "${workload.name}", target ${plan.target}.`,
    '# Prometheus alerting rules (check with `promtool check rules`). Metrics: the worker /metrics endpoint.',
    ...(noLag
      ? [
          '# No consumer-lag alerts: the workers of this plan cannot read lag (a target option turned it off; see the plan warnings).',
        ]
      : []),
    ...Object.values(thresholds.derivation).map((d) => `# ${d}`),
  ];
  const body = stringify({ groups: [{ name: `speedlayer-${workload.name}`, rules: kept }] }, { lineWidth: 0 });
  return `${header.join('\n')}\n${body}`;
}

/** A short stable hash (FNV-1a, 32 bits, hex) for dashboard uids. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** The Grafana dashboard (JSON model, schemaVersion 39) of the workload. */
export function grafanaDashboard(
  plan: TargetPlan,
  workload: Workload,
  load: WorkloadLoad,
  thresholds = alertThresholds(workload, load, plan.partitions),
): Record<string, unknown> {
  const m = PROMETHEUS_METRICS;
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax (the data source picked on import)
  const ds = { type: 'prometheus', uid: '${datasource}' };
  const sel = 'messaging_destination_name="$topic",messaging_consumer_group_name=~"$group"';
  const wsel = 'topic="$topic",group=~"$group"';
  const byPartition = 'messaging_consumer_group_name, messaging_destination_partition_id';
  let id = 0;
  const panel = (
    title: string,
    unit: string,
    gridPos: { x: number; y: number },
    targets: readonly { expr: string; legendFormat: string }[],
    extra: { thresholds?: readonly number[]; description?: string } = {},
  ) => {
    id += 1;
    const steps: { color: string; value: number | null }[] = [{ color: 'green', value: null }];
    const [warn, crit] = extra.thresholds ?? [];
    if (warn !== undefined) steps.push({ color: 'orange', value: warn });
    if (crit !== undefined) steps.push({ color: 'red', value: crit });
    return {
      id,
      type: 'timeseries',
      title,
      ...(extra.description ? { description: extra.description } : {}),
      datasource: ds,
      gridPos: { h: 8, w: 12, ...gridPos },
      fieldConfig: {
        defaults: {
          unit,
          thresholds: { mode: 'absolute', steps },
          custom: { thresholdsStyle: { mode: extra.thresholds ? 'line' : 'off' } },
        },
        overrides: [],
      },
      options: {
        legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
        tooltip: { mode: 'multi', sort: 'desc' },
      },
      targets: targets.map((t, i) => ({
        datasource: ds,
        refId: String.fromCharCode(65 + i),
        expr: t.expr,
        legendFormat: t.legendFormat,
      })),
    };
  };
  const panels = [
    panel('Throughput: sent and consumed', 'msg/s', { x: 0, y: 0 }, [
      { expr: `sum(rate(${m.sent}{messaging_destination_name="$topic"}[$__rate_interval]))`, legendFormat: 'sent' },
      {
        expr: `sum by (messaging_consumer_group_name) (rate(${m.consumed}{${sel}}[$__rate_interval]))`,
        legendFormat: 'consumed {{messaging_consumer_group_name}}',
      },
    ]),
    panel('Replicas and assigned partitions', 'short', { x: 12, y: 0 }, [
      { expr: `count by (group) (${m.assignedPartitions}{${wsel}})`, legendFormat: 'replicas {{group}}' },
      { expr: `sum by (group) (${m.assignedPartitions}{${wsel}})`, legendFormat: 'assigned partitions {{group}}' },
      {
        expr: `sum by (messaging_consumer_group_name) (${m.inFlight}{${sel}})`,
        legendFormat: 'in flight {{messaging_consumer_group_name}}',
      },
    ]),
    panel(
      'Consumer lag (messages) per partition',
      'short',
      { x: 0, y: 8 },
      [
        {
          expr: `max by (${byPartition}) (${m.lagMessages}{${sel}})`,
          legendFormat: '{{messaging_consumer_group_name}} p{{messaging_destination_partition_id}}',
        },
      ],
      {
        thresholds: [thresholds.lagMessagesWarning, thresholds.lagMessagesCritical],
        description: thresholds.derivation.lagMessages,
      },
    ),
    panel(
      'Consumer lag (seconds) per partition',
      's',
      { x: 12, y: 8 },
      [
        {
          expr: `max by (${byPartition}) (${m.lagSeconds}{${sel}})`,
          legendFormat: '{{messaging_consumer_group_name}} p{{messaging_destination_partition_id}}',
        },
      ],
      {
        thresholds: [thresholds.lagSecondsWarning, thresholds.lagSecondsCritical],
        description: thresholds.derivation.lagSeconds,
      },
    ),
    panel(
      'Handler duration p50 / p99',
      's',
      { x: 0, y: 16 },
      [0.5, 0.99].map((q) => ({
        expr: `histogram_quantile(${q}, sum by (le) (rate(${m.processDuration}_bucket{${sel}}[$__rate_interval])))`,
        legendFormat: `p${q * 100}`,
      })),
      { description: `expected ${workload.processing.msPerRecord} ms per record` },
    ),
    panel('Handler failures and send failures', 'ops', { x: 12, y: 16 }, [
      {
        expr: `sum by (messaging_consumer_group_name, error_type) (rate(${m.failedAttempts}{${sel}}[$__rate_interval]))`,
        legendFormat: 'failed attempts {{messaging_consumer_group_name}} {{error_type}}',
      },
      {
        expr: `sum by (error_type) (rate(${m.sendFailed}{messaging_destination_name="$topic"}[$__rate_interval]))`,
        legendFormat: 'send failed {{error_type}}',
      },
    ]),
    panel('Dead-lettered messages', 'short', { x: 0, y: 24 }, [
      {
        expr: `sum by (group) (increase(${m.deadLettered}{${wsel}}[$__rate_interval]))`,
        legendFormat: 'dead-lettered {{group}}',
      },
    ]),
  ];
  return {
    uid: `speedlayer-${fnv1a(`${plan.target}/${workload.name}`)}`,
    title: `speedlayer ${workload.name} (${plan.target})`,
    description: `Generated by speedlayer plan for workload "${workload.name}", target ${plan.target}. Metrics: the worker /metrics endpoint.`,
    tags: ['speedlayer', plan.target],
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-3h', to: 'now' },
    timezone: 'browser',
    annotations: { list: [] },
    links: [],
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0 },
        {
          name: 'topic',
          label: 'Topic',
          type: 'constant',
          query: workload.name,
          current: { text: workload.name, value: workload.name },
          hide: 2,
        },
        {
          name: 'group',
          label: 'Consumer group',
          type: 'custom',
          query: load.groups.join(','),
          multi: true,
          includeAll: true,
          current: { text: 'All', value: '$__all' },
          options: [],
          hide: 0,
        },
      ],
    },
    panels,
  };
}

/**
 * The observability files of a feasible plan: `observability/<workload>.rules.yaml` (Prometheus alerting rules)
 * and `observability/<workload>.dashboard.json` (Grafana dashboard). Deterministic: no timestamps, fixed order.
 */
export function observabilityFiles(
  plan: TargetPlan,
  workload: Workload,
  load: WorkloadLoad,
  context: EmitContext,
): EmittedFile[] {
  const thresholds = alertThresholds(workload, load, plan.partitions);
  return [
    {
      path: `observability/${workload.name}.rules.yaml`,
      content: alertRulesYaml(plan, workload, load, context, thresholds),
      kind: 'text',
    },
    {
      path: `observability/${workload.name}.dashboard.json`,
      content: `${JSON.stringify(grafanaDashboard(plan, workload, load, thresholds), null, 2)}\n`,
      kind: 'text',
    },
  ];
}
