/**
 * The Prometheus alert rules and Grafana dashboard every plan emits, checked by Prometheus's own `promtool` (built
 * from Prometheus's Go module by the validators peer): `check rules` on every emitted rule file and on the dashboard's
 * queries, and `test rules` proving the lag alerts fire on a lag series — and stay quiet below the threshold and
 * before their `for:` clause.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runPlan } from '../src/commands/plan.js';

const run = promisify(execFile);
const EXAMPLES = ['clickstream', 'small', 'bursty', 'large-records', 'long-retention'];
const examplesDir = fileURLToPath(new URL('../../../examples/workloads/', import.meta.url));

/** Every file under `dir`, sorted. */
async function walk(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Runs promtool; resolves with its exit code and combined output. */
async function promtool(bin: string, args: string[], cwd?: string): Promise<{ code: number; out: string }> {
  try {
    const r = await run(bin, args, { cwd, timeout: 60_000 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

interface Rule {
  alert: string;
  expr: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

describePeer('validators', 'plan observability files pass promtool', (validators) => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'speedlayer-promtool-'));
    for (const name of EXAMPLES) {
      let stderr = '';
      const code = await runPlan(
        join(examplesDir, `${name}.yaml`),
        { target: 'all', out: join(root, name) },
        { stdout: () => {}, stderr: (t) => (stderr += t) },
      );
      expect(code, stderr).toBe(0);
    }
  });

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('promtool check rules passes every emitted rule file, and fails a broken one', async () => {
    const files = (await walk(root)).filter((f) => f.endsWith('.rules.yaml'));
    // every example on every target it can serve: at least one file per example
    expect(files.length).toBeGreaterThanOrEqual(EXAMPLES.length);
    const r = await promtool(validators.promtool, ['check', 'rules', ...files]);
    expect(r.out).not.toMatch(/FAILED/);
    expect(r.code).toBe(0);
    expect(r.out.match(/SUCCESS: 6 rules found/g)?.length).toBe(files.length);
    process.stdout.write(
      `promtool check rules: ${files.length} files, ${r.out.split('\n').filter((l) => l.includes('SUCCESS')).length} SUCCESS\n`,
    );
    // the validator really validates: a typo in a metric selector and a bad duration are refused
    const bad = join(root, 'bad.rules.yaml');
    const text = await readFile(files[0]!, 'utf8');
    await writeFile(bad, text.replace('> 0.05', '> > 0.05').replace('for: 5m', 'for: 5 minutes'));
    const b = await promtool(validators.promtool, ['check', 'rules', bad]);
    expect(b.code).not.toBe(0);
    expect(b.out).toMatch(/FAILED/);
  });

  it("every dashboard query parses as PromQL (promtool check rules on the dashboard's queries)", async () => {
    const dashboards = (await walk(root)).filter((f) => f.endsWith('.dashboard.json'));
    expect(dashboards.length).toBeGreaterThanOrEqual(EXAMPLES.length);
    const dashboard = JSON.parse(await readFile(dashboards[0]!, 'utf8')) as {
      panels: { id: number; targets: { refId: string; expr: string }[] }[];
      templating: { list: { name: string; query: string }[] };
    };
    const vars = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v.query]));
    const rules = dashboard.panels.flatMap((p) =>
      p.targets.map((t) => ({
        record: `dashboard:panel${p.id}:${t.refId}`,
        // what Grafana substitutes before sending the query
        expr: t.expr
          .replaceAll('$__rate_interval', '5m')
          .replaceAll('$topic', vars.topic!)
          .replaceAll('$group', vars.group!.split(',').join('|')),
      })),
    );
    expect(rules.length).toBeGreaterThanOrEqual(11);
    const file = join(root, 'dashboard-queries.rules.yaml');
    await writeFile(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
    const r = await promtool(validators.promtool, ['check', 'rules', file]);
    expect(r.out).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(r.code).toBe(0);
  });

  it('promtool test rules: the lag alerts fire on a lag series after their for:, per partition, and not below the threshold', async () => {
    // small.yaml (workload small-feed) on aws-msk-eks: read the thresholds from the emitted file itself
    const dir = join(root, 'small', 'aws-msk-eks', 'observability');
    const rulesText = await readFile(join(dir, 'small-feed.rules.yaml'), 'utf8');
    const rules = (parse(rulesText) as { groups: { rules: Rule[] }[] }).groups[0]!.rules;
    const byName = Object.fromEntries(rules.map((r) => [r.alert, r]));
    const threshold = (alert: string) => Number(/> (\d+)$/.exec(byName[alert]!.expr)![1]);
    const secWarn = threshold('SpeedlayerConsumerLagSecondsHigh');
    const msgWarn = threshold('SpeedlayerConsumerLagMessagesHigh');
    const group = /messaging_consumer_group_name=~"([^"|]+)/.exec(byName.SpeedlayerConsumerLagSecondsHigh!.expr)![1]!;
    const series = (metric: string, partition: string) =>
      `${metric}{messaging_system="kafka",messaging_destination_name="small-feed",messaging_consumer_group_name="${group}",messaging_destination_partition_id="${partition}"}`;
    // partition 0 falls behind at minute 3 and stays there; partition 1 stays just under the threshold
    const behindSec = secWarn * 2;
    const behindMsg = msgWarn * 2;
    const alert = (name: string, partition: string, description: string) => ({
      exp_labels: {
        ...byName[name]!.labels,
        messaging_consumer_group_name: group,
        messaging_destination_partition_id: partition,
      },
      exp_annotations: { ...byName[name]!.annotations, description },
    });
    const test = {
      rule_files: ['small-feed.rules.yaml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            { series: series('messaging_consumer_lag_age', '0'), values: `10x2 ${behindSec}x30` },
            { series: series('messaging_consumer_lag_age', '1'), values: `${secWarn}x33` },
            { series: series('messaging_consumer_lag', '0'), values: `5x2 ${behindMsg}x30` },
            { series: series('messaging_consumer_lag', '1'), values: `${msgWarn}x33` },
          ],
          alert_rule_test: [
            // pending, not firing: above the threshold for 4 of the 5 minutes of `for: 5m`
            { eval_time: '7m', alertname: 'SpeedlayerConsumerLagSecondsHigh', exp_alerts: [] },
            { eval_time: '7m', alertname: 'SpeedlayerConsumerLagMessagesHigh', exp_alerts: [] },
            {
              eval_time: '8m',
              alertname: 'SpeedlayerConsumerLagSecondsHigh',
              exp_alerts: [
                alert(
                  'SpeedlayerConsumerLagSecondsHigh',
                  '0',
                  `Group ${group} is ${humanizeDuration(behindSec)} behind on partition 0 of small-feed.`,
                ),
              ],
            },
            {
              eval_time: '8m',
              alertname: 'SpeedlayerConsumerLagMessagesHigh',
              exp_alerts: [
                alert(
                  'SpeedlayerConsumerLagMessagesHigh',
                  '0',
                  `Group ${group} is ${behindMsg} messages behind on partition 0 of small-feed.`,
                ),
              ],
            },
            // twice the warning is under the critical threshold (5 x): critical never fires
            { eval_time: '30m', alertname: 'SpeedlayerConsumerLagSecondsCritical', exp_alerts: [] },
          ],
        },
      ],
    };
    await writeFile(join(dir, 'lag.test.yaml'), stringify(test));
    const r = await promtool(validators.promtool, ['test', 'rules', 'lag.test.yaml'], dir);
    process.stdout.write(`promtool test rules: ${r.out.trim()}\n`);
    expect(r.out).toContain('SUCCESS');
    expect(r.code).toBe(0);
    // and the test can fail: expecting the alert one minute early is refused
    test.tests[0]!.alert_rule_test[2]!.eval_time = '7m';
    await writeFile(join(dir, 'lag-early.test.yaml'), stringify(test));
    const early = await promtool(validators.promtool, ['test', 'rules', 'lag-early.test.yaml'], dir);
    expect(early.code).not.toBe(0);
    expect(early.out).toMatch(/FAILED/);
  });

  it('promtool test rules: the failure-rate alert fires when every attempt fails (no consumed series) and not at 1%; dead letters alert', async () => {
    const dir = join(root, 'small', 'aws-kinesis-ecs', 'observability');
    const rules = (parse(await readFile(join(dir, 'small-feed.rules.yaml'), 'utf8')) as { groups: { rules: Rule[] }[] })
      .groups[0]!.rules;
    const byName = Object.fromEntries(rules.map((r) => [r.alert, r]));
    const group = /messaging_consumer_group_name=~"([^"|]+)/.exec(byName.SpeedlayerHandlerFailureRateHigh!.expr)![1]!;
    const otel = (metric: string, g: string) =>
      `${metric}{messaging_destination_name="small-feed",messaging_consumer_group_name="${g}",messaging_destination_partition_id="0",error_type="handler"}`;
    // a second group name the rules select is needed for the 1% case: the regex admits only the workload's groups
    const test = {
      rule_files: ['small-feed.rules.yaml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            // every attempt fails: 60 failed attempts a minute, nothing consumed
            { series: otel('speedlayer_consumer_failed_attempts_total', group), values: '0+60x30' },
            // the worker's dead-letter counter: one a minute from minute 2
            {
              series: `speedlayer_worker_messages_dead_lettered_total{topic="small-feed",group="${group}"}`,
              values: '0 0 0+1x30',
            },
          ],
          alert_rule_test: [
            { eval_time: '9m', alertname: 'SpeedlayerHandlerFailureRateHigh', exp_alerts: [] },
            {
              eval_time: '16m',
              alertname: 'SpeedlayerHandlerFailureRateHigh',
              exp_alerts: [
                {
                  exp_labels: { ...byName.SpeedlayerHandlerFailureRateHigh!.labels, messaging_consumer_group_name: group },
                  exp_annotations: {
                    ...byName.SpeedlayerHandlerFailureRateHigh!.annotations,
                    description: `100% of the handler attempts of group ${group} fail.`,
                  },
                },
              ],
            },
            { eval_time: '2m', alertname: 'SpeedlayerDeadLetters', exp_alerts: [] },
            {
              eval_time: '5m',
              alertname: 'SpeedlayerDeadLetters',
              exp_alerts: [
                {
                  exp_labels: { ...byName.SpeedlayerDeadLetters!.labels, group },
                  exp_annotations: {
                    ...byName.SpeedlayerDeadLetters!.annotations,
                    description: `Group ${group} dead-lettered 3 messages in the last 10 minutes.`,
                  },
                },
              ],
            },
          ],
        },
        {
          interval: '1m',
          input_series: [
            // 1% of attempts fail: under the 5% threshold
            { series: otel('speedlayer_consumer_failed_attempts_total', group), values: '0+1x30' },
            { series: otel('messaging_client_consumed_messages_total', group), values: '0+99x30' },
          ],
          alert_rule_test: [{ eval_time: '25m', alertname: 'SpeedlayerHandlerFailureRateHigh', exp_alerts: [] }],
        },
      ],
    };
    await writeFile(join(dir, 'failures.test.yaml'), stringify(test));
    const r = await promtool(validators.promtool, ['test', 'rules', 'failures.test.yaml'], dir);
    expect(r.out, r.out).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });
});

/** Prometheus's `humanizeDuration` for whole seconds under a day (`10m 0s`, `45s`). */
function humanizeDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h ${m}m ${s}s`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}
