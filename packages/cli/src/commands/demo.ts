/**
 * `speedlayer demo`: the main job on the embedded default. Creates a topic with N partitions, runs N local
 * replicas of the worker runtime as one consumer group (replicas aligned to partitions), produces keyed
 * messages with per-key sequence numbers, waits until every one is consumed, and reports what was lost,
 * duplicated or reordered.
 *
 * @packageDocumentation
 */

import { randomUUID } from 'node:crypto';
import { closeSync, fstatSync, mkdtempSync, openSync, readdirSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, createCompute, type ProducerRecord } from '@speedlayer/core';
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { action, DEFAULT_STREAM, examples, intOption, stopSignal } from '../common.js';

/** The demo's JSON result. */
export interface DemoResult {
  stream: string;
  partitions: number | null;
  replicas: number;
  produced: number;
  consumedUnique: number;
  duplicates: number;
  lost: number;
  orderViolations: number;
  durationMs: number;
  messagesPerSecond: number;
}

/** Reads new receipt lines from each replica's file since the last call. */
class ReceiptReader {
  private readonly offsets = new Map<string, number>();
  private readonly partial = new Map<string, string>();
  readonly receipts: Array<{ key: string; seq: number; t: number }> = [];
  readonly unique = new Set<string>();

  constructor(private readonly dir: string) {}

  poll(): void {
    for (const f of readdirSync(this.dir)) {
      const path = join(this.dir, f);
      const fd = openSync(path, 'r');
      try {
        const size = fstatSync(fd).size;
        const from = this.offsets.get(f) ?? 0;
        if (size <= from) continue;
        const buf = Buffer.alloc(size - from);
        readSync(fd, buf, 0, buf.length, from);
        this.offsets.set(f, size);
        const text = (this.partial.get(f) ?? '') + buf.toString('utf8');
        const lines = text.split('\n');
        this.partial.set(f, lines.pop() ?? '');
        for (const line of lines) {
          const [key = '', seq = '', t = ''] = line.split(' ');
          this.receipts.push({ key, seq: Number(seq), t: Number(t) });
          this.unique.add(`${key}:${seq}`);
        }
      } finally {
        closeSync(fd);
      }
    }
  }

  /** Messages seen for the first time after a later message of the same key. */
  orderViolations(): number {
    const sorted = [...this.receipts].sort((a, b) => a.t - b.t);
    const seen = new Set<string>();
    const max = new Map<string, number>();
    let violations = 0;
    for (const r of sorted) {
      const id = `${r.key}:${r.seq}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const m = max.get(r.key) ?? -1;
      if (r.seq < m) violations++;
      else max.set(r.key, r.seq);
    }
    return violations;
  }
}

function cliEntry(): string {
  return fileURLToPath(new URL('../bin.js', import.meta.url));
}

function demoHandler(): string {
  return fileURLToPath(new URL('../demo-handler.js', import.meta.url));
}

/** Options of {@link runDemo}. */
export interface DemoOptions {
  stream: string;
  partitions: number;
  messages: number;
  keys: number;
  timeoutSeconds: number;
  progress: boolean;
  keep: boolean;
  signal?: AbortSignal;
}

/** Runs the demo and returns its result. */
export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const id = randomUUID().slice(0, 8);
  const topic = `demo-${id}`;
  const group = `demo-${id}`;
  const workload = `demo-${id}`;
  const receipts = mkdtempSync(join(tmpdir(), 'speedlayer-demo-'));
  const computeDir = mkdtempSync(join(tmpdir(), 'speedlayer-demo-compute-'));
  const stream = await connect(o.stream);
  const compute = await createCompute(`local://${computeDir}`, { config: { gracePeriodSeconds: 30 } });
  const bar =
    o.progress && process.stderr.isTTY !== false
      ? new SingleBar(
          {
            format: '{phase} |{bar}| {value}/{total} consumed | produced {produced} | {rate} msg/s',
            hideCursor: true,
            stream: process.stderr,
          },
          Presets.shades_classic,
        )
      : undefined;
  try {
    const info = await stream.admin.ensureTopic(topic, { partitions: o.partitions });
    // Register the group before producing: where a group only receives what is published after it exists
    // (a Pub/Sub subscription), this keeps the first messages. The topic is new, so nothing is handled here;
    // a message that did arrive would fail and stay unacknowledged.
    const register = await stream.subscribe({ topic, group }, () => {
      throw new Error('the demo registers its group before producing; nothing is handled here');
    });
    await register.close();
    await compute.deploy({
      name: workload,
      command: [
        process.execPath,
        cliEntry(),
        'worker',
        '--stream',
        o.stream,
        '--topic',
        topic,
        '--group',
        group,
        '--handler',
        demoHandler(),
        '--log-level',
        'warn',
      ],
      env: { SPEEDLAYER_DEMO_RECEIPTS: receipts },
      replicas: 1,
      autoscaling: { min: 1, max: 1 },
    });
    // The 1:1 rule: one replica per partition (Pub/Sub-like targets without partitions keep the planner's count).
    const status =
      info.partitions === null
        ? await compute.scale(workload, o.partitions)
        : await compute.alignReplicas(stream, topic, workload);
    const reader = new ReceiptReader(receipts);
    bar?.start(o.messages, 0, { phase: 'producing', produced: 0, rate: 0 });
    const start = Date.now();
    const producer = stream.producer();
    const seqs = new Array<number>(o.keys).fill(0);
    const batchSize = 1000;
    let produced = 0;
    for (let i = 0; i < o.messages && !o.signal?.aborted; i += batchSize) {
      const batch: ProducerRecord[] = [];
      for (let j = i; j < Math.min(o.messages, i + batchSize); j++) {
        const k = j % o.keys;
        const key = `key-${k}`;
        batch.push({ key, value: `${key}:${seqs[k]!++}` });
      }
      await producer.send(topic, batch);
      produced += batch.length;
      if (bar && (i / batchSize) % 10 === 0) {
        reader.poll();
        bar.update(reader.unique.size, { produced, rate: Math.round(reader.unique.size / ((Date.now() - start) / 1000 || 1)) });
      }
    }
    await producer.close();
    bar?.update(reader.unique.size, { phase: 'consuming', produced });
    const deadline = Date.now() + o.timeoutSeconds * 1000;
    while (reader.unique.size < produced && Date.now() < deadline && !o.signal?.aborted) {
      await new Promise((r) => setTimeout(r, 100));
      reader.poll();
      bar?.update(reader.unique.size, { produced, rate: Math.round(reader.unique.size / ((Date.now() - start) / 1000 || 1)) });
    }
    const durationMs = Date.now() - start;
    bar?.update(reader.unique.size, { phase: 'stopping', produced });
    await compute.remove(workload); // SIGTERM: replicas drain, commit and flush their receipts
    reader.poll();
    bar?.stop();
    const consumedUnique = reader.unique.size;
    return {
      stream: o.stream,
      partitions: info.partitions,
      replicas: status.desiredReplicas,
      produced,
      consumedUnique,
      duplicates: reader.receipts.length - consumedUnique,
      lost: produced - consumedUnique,
      orderViolations: reader.orderViolations(),
      durationMs,
      messagesPerSecond: Math.round((consumedUnique / durationMs) * 1000),
    };
  } finally {
    bar?.stop();
    await compute.close();
    if (!o.keep) await stream.admin.deleteTopic(topic).catch(() => {});
    await stream.close();
    rmSync(receipts, { recursive: true, force: true });
    rmSync(computeDir, { recursive: true, force: true });
  }
}

/** Registers `demo`. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'produce keyed messages and consume them with one local replica per partition; verify nothing is lost or reordered',
    )
    .option('--stream <uri>', 'stream URI (default: the embedded local target)', DEFAULT_STREAM)
    .option('--partitions <n>', 'partitions of the demo topic (= replicas)', intOption(1, 256), 8)
    .option('--messages <n>', 'messages to produce', intOption(1, 100_000_000), 100_000)
    .option('--keys <n>', 'distinct keys', intOption(1, 10_000_000), 1000)
    .option('--timeout <seconds>', 'give up consuming after this long', intOption(1, 86_400), 600)
    .option('--keep', 'keep the demo topic afterwards')
    .option('--json', 'print exactly one JSON object on stdout')
    .addHelpText('after', examples('speedlayer demo --partitions 4 --messages 10000'))
    .action(
      action(
        async (o: {
          stream: string;
          partitions: number;
          messages: number;
          keys: number;
          timeout: number;
          keep?: boolean;
          json?: boolean;
        }) => {
          const result = await runDemo({
            stream: o.stream,
            partitions: o.partitions,
            messages: o.messages,
            keys: o.keys,
            timeoutSeconds: o.timeout,
            progress: !o.json || !!process.stderr.isTTY,
            keep: !!o.keep,
            signal: stopSignal(),
          });
          if (o.json) process.stdout.write(`${JSON.stringify(result)}\n`);
          else {
            const ok = result.lost === 0 && result.orderViolations === 0;
            process.stdout.write(
              [
                `speedlayer demo on ${result.stream}`,
                `  partitions        ${result.partitions ?? 'none'}`,
                `  replicas          ${result.replicas} (one per partition)`,
                `  produced          ${result.produced}`,
                `  consumed (unique) ${result.consumedUnique}`,
                `  duplicates        ${result.duplicates}`,
                `  lost              ${result.lost}`,
                `  order violations  ${result.orderViolations}`,
                `  duration          ${(result.durationMs / 1000).toFixed(2)} s`,
                `  throughput        ${result.messagesPerSecond} msg/s end to end`,
                ok ? 'OK: nothing lost, per-key order kept' : 'FAILED: messages were lost or reordered',
                '',
              ].join('\n'),
            );
          }
          return result.lost === 0 && result.orderViolations === 0 ? 0 : 1;
        },
      ),
    );
}
