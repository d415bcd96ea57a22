/**
 * `speedlayer bench <workload.yaml> --stream <uri> [--stream <uri> ...]`: runs an OpenMessaging Benchmark
 * workload on each stream target in turn and writes OMB result JSON per target, a side-by-side Markdown table
 * and an HTML report with charts.
 *
 * @packageDocumentation
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  type BenchProgress,
  type BenchReport,
  durationsOf,
  isLoopbackUrl,
  loadOmbWorkload,
  parseDuration,
  parseRates,
  resultFileName,
  runBench,
  runSendModes,
  type SendModeResult,
  type SweepStep,
  sendModeTable,
  toHtml,
  toMarkdown,
} from '@speedlayer/bench';
import { ConfigError } from '@speedlayer/core';
import cliProgress from 'cli-progress';
import { type Command, InvalidArgumentError } from 'commander';
import { action, DEFAULT_STREAM, examples, intOption, stopSignal } from '../common.js';
import { loadCostTarget } from './plan-targets.js';

function durationOption(field: string, allowZero = false) {
  return (value: string): number => {
    let ms: number;
    try {
      ms = parseDuration(value, field);
    } catch {
      throw new InvalidArgumentError(`expected a duration like 10s, 2m or 500ms, got "${value}"`);
    }
    if (ms < 0 || (ms === 0 && !allowZero)) throw new InvalidArgumentError(`must be greater than 0, got "${value}"`);
    return ms;
  };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

interface BenchCliOptions {
  stream?: string[];
  duration?: number;
  warmup?: number;
  interval?: number;
  out: string;
  json?: boolean;
  overhead?: boolean;
  overheadRounds: number;
  withCost?: boolean;
  retentionHours: number;
  connectTimeout?: number;
  progress: boolean;
  sendMode: 'single' | 'batched';
  batchSize: number;
  compareSendModes?: boolean;
  peers?: boolean;
  rates?: number[];
  sweep?: boolean;
  sweepStart: number;
  sweepSteps: number;
}

/** The peers' streams `--peers` benchmarks, in this order. */
const PEER_STREAMS = ['local', 'kafka', 'kinesis', 'pubsub', 'eventhubs', 'eventhubs+kafka'] as const;

/**
 * The stream URIs of the running local peers (`speedlayer peers status`), in {@link PEER_STREAMS} order.
 * @throws `ConfigError` (field `--peers`) when no peer stream is up.
 */
async function peerStreams(log: (line: string) => void): Promise<string[]> {
  const { peersStatus } = await import('@speedlayer/testing/peers');
  const status = await peersStatus();
  const streams: string[] = [];
  for (const scheme of PEER_STREAMS) {
    const uri = status.streams[scheme];
    if (uri) streams.push(uri);
    else log(`--peers: no ${scheme}:// stream (its peer is not up; \`speedlayer peers up\` starts it)`);
  }
  if (streams.length === 0) {
    throw new ConfigError('--peers: no peer is up; start them with `speedlayer peers up`', { field: '--peers' });
  }
  return streams;
}

/**
 * Moto (the Kinesis peer) accepts any credentials; with a loopback `kinesis://` endpoint and none in the
 * environment, the SDK's chain is given fixed test ones (never for a cloud endpoint).
 */
function loopbackAwsCredentials(streams: readonly string[], log: (line: string) => void): void {
  if (process.env.AWS_ACCESS_KEY_ID || process.env.AWS_PROFILE) return;
  const loopback = streams.some((s) => {
    if (!s.startsWith('kinesis://')) return false;
    const endpoint = new URLSearchParams(s.split('?')[1] ?? '').get('endpoint');
    return endpoint !== null && isLoopbackUrl(endpoint);
  });
  if (!loopback) return;
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  log('kinesis:// on a loopback endpoint (moto) with no AWS credentials set: using test credentials');
}

/** Writes the per-target OMB JSON files, the Markdown table and the HTML report. */
async function writeReports(report: BenchReport, dir: string): Promise<{ results: string[]; markdown: string; html: string }> {
  await mkdir(dir, { recursive: true });
  const results: string[] = [];
  for (const [i, o] of report.targets.entries()) {
    if (!o.result) continue;
    const file = join(dir, resultFileName(report.workload, o, i));
    const { speedlayer, ...omb } = o.result;
    const extra = {
      ...speedlayer,
      ...(o.overhead ? { overhead: o.overhead } : {}),
      ...(o.cost ? { cost: o.cost } : {}),
    };
    await writeFile(file, `${JSON.stringify({ ...omb, speedlayer: extra }, null, 2)}\n`);
    results.push(file);
  }
  const markdown = join(dir, 'report.md');
  const html = join(dir, 'report.html');
  await writeFile(markdown, toMarkdown(report));
  await writeFile(html, toHtml(report));
  return { results, markdown, html };
}

/** Registers `bench`. */
export function registerBench(program: Command): void {
  program
    .command('bench <workload>')
    .description(
      'run an OpenMessaging Benchmark workload file on one or several stream targets and write OMB result JSON, a Markdown table and an HTML report',
    )
    .option('--stream <uri>', `stream URI to benchmark (repeatable; run one after another) (default: ${DEFAULT_STREAM})`, collect)
    .option('--duration <d>', 'measured phase, overriding testDurationMinutes (e.g. 10s, 2m)', durationOption('--duration'))
    .option('--warmup <d>', 'warm-up, overriding warmupDurationMinutes (e.g. 2s)', durationOption('--warmup', true))
    .option(
      '--interval <d>',
      'time-series sample interval (default: 10s, or a fifth of a shorter test)',
      durationOption('--interval'),
    )
    .option('--out <dir>', 'directory for the result files', 'bench-results')
    .option('--json', 'print the results as one JSON document on stdout')
    .option('--overhead', 'also run the raw vendor client with identical settings, interleaved, and report the ratio')
    .option('--overhead-rounds <n>', 'rounds per side with --overhead', intOption(1, 20), 2)
    .option('--with-cost', "join the planner's monthly cost for the measured throughput")
    .option('--retention-hours <h>', 'retention priced by --with-cost', intOption(1, 24 * 365), 24)
    .option(
      '--connect-timeout <d>',
      'time allowed to connect and create topics per target (default: 30s)',
      durationOption('--connect-timeout'),
    )
    .option('--no-progress', 'no progress bar on stderr')
    .addHelpText(
      'after',
      examples(
        'speedlayer bench workloads/1-topic-16-partitions.yaml --stream local://./bench --stream kafka://127.0.0.1:9092 --duration 30s',
      ),
    )
    .option(
      '--send-mode <mode>',
      'single: one send() per message (the portable client batches across calls); batched: hand-made arrays of --batch-size per send()',
      (v: string) => {
        if (v !== 'single' && v !== 'batched') throw new InvalidArgumentError('--send-mode must be single or batched');
        return v;
      },
      'single',
    )
    .option('--batch-size <n>', 'records per hand-made batch with --send-mode batched', intOption(1, 100_000), 500)
    .option(
      '--peers',
      `benchmark every stream of the running local peers (${PEER_STREAMS.join(', ')}), URIs and credential files from \`speedlayer peers status\` (with --stream: added after them)`,
    )
    .option(
      '--rates <list>',
      'latency against throughput: run the workload at each publish rate (e.g. 1k,5k,10k msg/s), p50/p99 per step; stops after a step whose p99 or backlog runs away',
      (v: string) => {
        try {
          return parseRates(v);
        } catch (e) {
          throw new InvalidArgumentError((e as Error).message.replace(/^--rates: /, ''));
        }
      },
    )
    .option(
      '--sweep',
      'max-rate search: double the publish rate from --sweep-start until p99, backlog or the achieved rate runs away, then bisect; p50/p99 per step',
    )
    .option('--sweep-start <n>', 'first rate of --sweep (msg/s)', intOption(1, 10_000_000), 1000)
    .option('--sweep-steps <n>', 'most steps of --sweep', intOption(2, 30), 8)
    .option(
      '--compare-send-modes',
      'instead of the workload run: one-record sends (64 and 1024 callers) against hand-made batches of --batch-size through the same client, per stream, as ratios',
    )
    .action(
      action(async (workloadPath: string, o: BenchCliOptions) => {
        const loaded = await loadOmbWorkload(workloadPath);
        const durations = durationsOf(loaded.workload, {
          ...(o.duration !== undefined ? { testMs: o.duration } : {}),
          ...(o.warmup !== undefined ? { warmupMs: o.warmup } : {}),
        });
        const note = (line: string) => {
          if (!o.json) process.stderr.write(`${line}\n`);
        };
        const streams = o.peers
          ? [...(await peerStreams(note)), ...(o.stream ?? [])]
          : o.stream && o.stream.length > 0
            ? o.stream
            : [DEFAULT_STREAM];
        loopbackAwsCredentials(streams, note);
        if (o.compareSendModes) {
          const size = loaded.workload.messageSize;
          const results: SendModeResult[] = [];
          for (const stream of streams) {
            if (!o.json) process.stderr.write(`send modes on ${stream.replace(/\?.*/, '')}\n`);
            results.push(
              await runSendModes(stream, {
                valueBytes: size,
                batchSize: o.batchSize,
                partitions: loaded.workload.partitionsPerTopic,
                ...(o.json ? {} : { onRun: (mode, rate) => process.stderr.write(`  ${mode} ${Math.round(rate)} msg/s\n`) }),
              }),
            );
          }
          process.stdout.write(o.json ? `${JSON.stringify({ sendModes: results })}\n` : `${sendModeTable(results)}\n`);
          return 0;
        }
        const signal = stopSignal();
        const tty = process.stderr.isTTY === true && o.progress;
        const bar = new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format:
              '{stream} {client} {run}/{runs} {phase} |{bar}| {percentage}% | pub {pub} msg/s | cons {cons} msg/s | backlog {backlog}',
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        );
        let barKey = '';
        const onProgress = (p: BenchProgress) => {
          if (!tty) return;
          const key = `${p.stream}|${p.client}|${p.run}|${p.phase}`;
          const payload = {
            stream: p.stream,
            client: p.client,
            run: p.run,
            runs: p.runs,
            phase: p.phase,
            pub: Math.round(p.publishRate),
            cons: Math.round(p.consumeRate),
            backlog: p.backlog,
          };
          const total = Math.max(1, Math.round(p.phaseMs / 1000));
          if (key !== barKey) {
            if (barKey) bar.stop();
            barKey = key;
            bar.start(total, 0, payload);
          }
          bar.update(Math.min(total, Math.round(p.elapsedMs / 1000)), payload);
        };
        if (!o.json) {
          process.stderr.write(
            `bench ${loaded.workload.name}: ${streams.length} target(s), warm-up ${durations.warmupMs / 1000} s, measured ${durations.testMs / 1000} s each${o.overhead ? `, --overhead x${o.overheadRounds} rounds` : ''}\n`,
          );
        }
        let report: BenchReport;
        try {
          report = await runBench(loaded, {
            streams,
            durations,
            ...(o.interval !== undefined ? { sampleIntervalMs: o.interval } : {}),
            overhead: !!o.overhead,
            overheadRounds: o.overheadRounds,
            sendMode: o.sendMode,
            batchSize: o.batchSize,
            ...(o.withCost ? { costTarget: loadCostTarget, costRetentionHours: o.retentionHours } : {}),
            connectTimeoutMs: o.connectTimeout ?? 30_000,
            signal,
            onProgress,
            ...(o.rates || o.sweep
              ? {
                  sweep: o.rates ? { rates: o.rates } : { startRate: o.sweepStart, maxSteps: o.sweepSteps },
                  onSweepStep: ({ stream, client, step }: { stream: string; client: string; step: SweepStep }) =>
                    note(
                      `${stream.replace(/\?.*/, '')} ${client} @ ${step.targetRate} msg/s: published ${Math.round(step.publishRate)}, e2e p50/p99 ${step.endToEndP50Ms.toFixed(1)}/${step.endToEndP99Ms.toFixed(1)} ms${step.sustained ? '' : `, not sustained: ${step.reason}`}`,
                    ),
                }
              : {}),
          });
        } finally {
          if (barKey) bar.stop();
        }
        const files = await writeReports(report, resolve(o.out));
        for (const t of report.targets) {
          if (t.error)
            process.stderr.write(
              `speedlayer: bench ${t.error.message.includes(t.stream) ? '' : `${t.stream}: `}${t.error.message}\n`,
            );
        }
        if (o.json) {
          process.stdout.write(`${JSON.stringify({ ...report, files })}\n`);
        } else {
          process.stdout.write(toMarkdown(report));
          process.stdout.write(
            `\nresults: ${files.results.join(', ') || '(none)'}\nmarkdown: ${files.markdown}\nhtml: ${files.html}\n`,
          );
        }
        if (report.aborted) return 130;
        const failed = report.targets.filter((t) => t.error);
        if (failed.length === 0) return 0;
        const inputKinds = ['config', 'validation', 'message-too-large', 'not-found', 'unsupported'];
        return failed.every((t) => t.error?.kind !== undefined && inputKinds.includes(t.error.kind)) ? 2 : 1;
      }),
    );
}
