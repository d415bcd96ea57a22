/**
 * Send-mode comparison: the throughput an application gets when it sends one record per `send()` call (what OMB,
 * web handlers and most applications do) against hand-made batches through the same client, in the same run,
 * interleaved round by round so drift hits both alike. Reported as ratios (single / batched), with the latency of
 * a lone send at low rate beside them.
 *
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { connect, type Producer, type ProducerRecord, type StreamClient } from '@speedlayer/core';
import { LatencyRecorder } from './histogram.js';

/** Options of {@link runSendModes}. */
export interface SendModeOptions {
  /** Records per measured run. @default 20000 */
  records?: number;
  /** Value size in bytes. @default 1024 */
  valueBytes?: number;
  /** Records per hand-made batch. @default 500 */
  batchSize?: number;
  /** Concurrent one-record callers, one run per entry. @default [64, 1024] */
  concurrency?: readonly number[];
  /** Rounds (each: batched, then every single-send concurrency). @default 3 */
  rounds?: number;
  /** Partitions of the benchmark topic. @default 4 */
  partitions?: number;
  /** Lone sends timed at low rate (one every 10 ms). @default 50 */
  loneSends?: number;
  /** Called after each measured run. */
  onRun?: (mode: string, msgPerSec: number) => void;
}

/** One send mode's runs. */
export interface SendModeRuns {
  /** `batched` or `single` */
  mode: 'batched' | 'single';
  /** Concurrent callers (1 for batched: one call at a time). */
  concurrency: number;
  /** Records per call. */
  recordsPerCall: number;
  /** msg/s of each round. */
  msgPerSec: number[];
  /** Median msg/s. */
  median: number;
  /** median / batched median. */
  ratio: number;
}

/** What {@link runSendModes} measured on one target. */
export interface SendModeResult {
  /** Target id. */
  target: string;
  /** Stream URI. */
  uri: string;
  /** Records per run and value size. */
  records: number;
  valueBytes: number;
  /** The batched baseline first, then each single-send concurrency. */
  runs: SendModeRuns[];
  /** Latency of lone one-record sends at low rate, ms. */
  loneSend: { p50: number; p99: number };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

async function timeBatched(producer: Producer, topic: string, records: ProducerRecord[], batchSize: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < records.length; i += batchSize) await producer.send(topic, records.slice(i, i + batchSize));
  return (records.length * 1000) / (performance.now() - t0);
}

async function timeSingle(producer: Producer, topic: string, records: ProducerRecord[], concurrency: number): Promise<number> {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      const r = records[i];
      if (r === undefined) return;
      await producer.send(topic, r);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, records.length) }, worker));
  return (records.length * 1000) / (performance.now() - t0);
}

/**
 * Measures one-record sends against hand-made batches on one stream target (topic created and deleted here).
 * @throws what `connect()` or topic creation throws.
 */
export async function runSendModes(uri: string, options: SendModeOptions = {}): Promise<SendModeResult> {
  const n = options.records ?? 20_000;
  const valueBytes = options.valueBytes ?? 1024;
  const batchSize = options.batchSize ?? 500;
  const concurrency = options.concurrency ?? [64, 1024];
  const rounds = options.rounds ?? 3;
  const client: StreamClient = await connect(uri);
  const topic = `sendmode-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  try {
    await client.admin.ensureTopic(topic, { partitions: options.partitions ?? 4 });
    const payload = randomBytes(valueBytes);
    const records: ProducerRecord[] = Array.from({ length: n }, (_, i) => ({ key: `key-${i % 1000}`, value: payload }));
    const producer = client.producer();
    // warm-up: connections, metadata, JIT
    await timeBatched(producer, topic, records.slice(0, Math.min(n, 2 * batchSize)), batchSize);
    await timeSingle(producer, topic, records.slice(0, Math.min(n, 500)), 64);
    const batched: number[] = [];
    const single = concurrency.map(() => [] as number[]);
    for (let r = 0; r < rounds; r++) {
      const b = await timeBatched(producer, topic, records, batchSize);
      batched.push(b);
      options.onRun?.(`batched x${batchSize}`, b);
      for (const [i, c] of concurrency.entries()) {
        const s = await timeSingle(producer, topic, records, c);
        single[i]?.push(s);
        options.onRun?.(`single x${c}`, s);
      }
    }
    const lone = new LatencyRecorder();
    for (let i = 0; i < (options.loneSends ?? 50); i++) {
      const t0 = performance.now();
      await producer.send(topic, { key: 'lone', value: payload });
      lone.record((performance.now() - t0) * 1000);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await producer.close();
    const base = median(batched);
    const loneSummary = lone.total();
    return {
      target: client.target,
      uri,
      records: n,
      valueBytes,
      runs: [
        { mode: 'batched', concurrency: 1, recordsPerCall: batchSize, msgPerSec: batched, median: base, ratio: 1 },
        ...concurrency.map((c, i) => {
          const m = median(single[i] ?? []);
          return {
            mode: 'single' as const,
            concurrency: c,
            recordsPerCall: 1,
            msgPerSec: single[i] ?? [],
            median: m,
            ratio: base > 0 ? m / base : 0,
          };
        }),
      ],
      loneSend: { p50: loneSummary.pct['50pct'] / 1000, p99: loneSummary.pct['99pct'] / 1000 },
    };
  } finally {
    try {
      await client.admin.deleteTopic(topic);
    } catch {
      // best effort: a benchmark topic left behind is harmless
    }
    await client.close();
  }
}

/** A Markdown table of send-mode results. */
export function sendModeTable(results: readonly SendModeResult[]): string {
  const lines = [
    '| target | mode | callers | records/call | msg/s (median) | ratio to batched | lone send p50 / p99 (ms) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    for (const run of r.runs) {
      lines.push(
        `| ${r.uri.split(':')[0]} (${r.target}) | ${run.mode} | ${run.concurrency} | ${run.recordsPerCall} | ${Math.round(run.median).toLocaleString('en-US')} | ${run.ratio.toFixed(2)} | ${run.mode === 'batched' ? '' : `${r.loneSend.p50.toFixed(2)} / ${r.loneSend.p99.toFixed(2)}`} |`,
      );
    }
  }
  return lines.join('\n');
}
