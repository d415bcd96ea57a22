/**
 * The copy step: reads every source partition with a dedicated consumer group (whose contiguous checkpoints
 * are the run's durable progress), writes to the target keeping per-key order, records where each message
 * landed, and stops when the source end positions captured at start are reached.
 *
 * @packageDocumentation
 */
import {
  type ConsumedMessage,
  isSpeedlayerError,
  MessageTooLargeError,
  type Producer,
  type ProducerRecord,
  type RecordMetadata,
  recordBytes,
  type StreamClient,
  sleep,
} from '@speedlayer/core';
import { type MigrationPlan, PROVENANCE_HEADER } from './plan.js';
import { MAX_HANDLER_ATTEMPTS, readTopic } from './read.js';
import type { CheckpointStore, MapEntry } from './store.js';

/** When the copy stops. */
export type Until = 'now' | 'follow' | { timestamp: number };

/** What to do with a message the target cannot take. */
export type OnOversize = 'stop' | 'dead-letter';

/** Progress of a copy. */
export interface CopyProgress {
  /** Messages written in this run. */
  copied: number;
  /** Messages copied before (resumed runs) plus this run's. */
  done: number;
  /** Messages to copy in total (from the scan at start), or undefined when following. */
  total: number | undefined;
  /** Messages dead-lettered in this run. */
  deadLettered: number;
}

/** Options of {@link copyTopic}. */
export interface CopyOptions {
  /** The plan (from `planMigration`). */
  plan: MigrationPlan;
  /** The run's checkpoint store. */
  store: CheckpointStore;
  /** The source consumer group that holds progress. */
  group: string;
  /** When to stop. @default 'now' */
  until?: Until;
  /** Largest write rate, messages per second. @default unlimited */
  rate?: number;
  /** Oversize messages: stop the run or dead-letter them into the store. @default 'stop' */
  onOversize?: OnOversize;
  /** Messages in flight per source partition (serial per key); also the largest write batch. @default 100 */
  batchSize?: number;
  /** Idle time that ends the scan of the source, in ms. @default 3000 */
  idleMs?: number;
  /** With no progress for this long while partitions have not reached their end, the copy stops and says so, in ms. @default max(30000, 10 * idleMs) */
  stallMs?: number;
  /** Stops the copy (commits what was written). */
  signal?: AbortSignal;
  /** Progress callback (at most every 200 ms, and once at the end). */
  onProgress?: (p: CopyProgress) => void;
  /** Called after each message is written (for tests: kill points). */
  onCopied?: (m: ConsumedMessage) => void;
}

/** A message the target refused as too large, with its source position. */
export interface OversizeReport {
  /** Source partition. */
  partition: number;
  /** Source position. */
  position: string;
  /** Key, or null. */
  key: string | null;
  /** Size as the target counts it, bytes. */
  bytes: number;
  /** The target's limit, bytes. */
  limit: number;
}

/** Result of a copy. */
export interface CopyResult {
  /** Messages written to the target in this run. */
  copied: number;
  /** Messages dead-lettered into the store in this run. */
  deadLettered: number;
  /** Messages redelivered by the source but already in the position map: acknowledged, not written again. */
  skipped: number;
  /** Messages to copy in total, from the scan at start (undefined when following). */
  total: number | undefined;
  /** Why it stopped. */
  stoppedBy: 'caught-up' | 'signal' | 'oversize' | 'error' | 'stalled';
  /** End position per source partition captured at start (the copy stops there). */
  endPositions: Record<string, string>;
  /** Partitions whose end was not reached (stalled or stopped). */
  unfinished: number[];
  /** Oversize messages met (with `stop`, the first one stopped the run). */
  oversize: OversizeReport[];
  /** Source messages written more than once across runs, as recorded in the position map. */
  duplicatesRecorded: number;
  /** Upper bound of duplicates a kill can cause: messages in flight per partition plus one commit interval. */
  duplicateBound: string;
  /** Wall time of the copy phase (scan excluded), ms. */
  copyMs: number;
  /** Wall time of the scan, ms. */
  scanMs: number;
  /** The error that stopped the run, if any. */
  error?: string;
}

class RateLimiter {
  private next = 0;
  constructor(private readonly perSecond: number | undefined) {}
  async take(n: number): Promise<void> {
    if (!this.perSecond) return;
    const now = Date.now();
    const start = Math.max(now, this.next);
    this.next = start + (n * 1000) / this.perSecond;
    if (start > now) await sleep(start - now);
  }
}

interface Pending {
  record: ProducerRecord;
  source: string;
  resolve: (m: RecordMetadata) => void;
  reject: (e: unknown) => void;
}

/** Batches the writes of one source partition; one send in flight at a time, so batches stay in order. */
class PartitionWriter {
  private queue: Pending[] = [];
  private running = false;
  constructor(
    private readonly partition: number,
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly store: CheckpointStore,
    private readonly limiter: RateLimiter,
    private readonly maxRecords: number,
    private readonly maxBytes: number | undefined,
  ) {}

  write(record: ProducerRecord, source: string): Promise<RecordMetadata> {
    return new Promise((resolve, reject) => {
      this.queue.push({ record, source, resolve, reject });
      if (!this.running) {
        this.running = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private take(): Pending[] {
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && n < this.maxRecords) {
      const b = recordBytes((this.queue[n] as Pending).record);
      if (n > 0 && this.maxBytes !== undefined && bytes + b > this.maxBytes) break;
      bytes += b;
      n++;
    }
    return this.queue.splice(0, Math.max(1, n));
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.take();
      await this.limiter.take(batch.length);
      try {
        const meta = await this.producer.send(
          this.topic,
          batch.map((b) => b.record),
        );
        this.settle(batch, meta);
      } catch (e) {
        if (batch.length > 1 && isSpeedlayerError(e) && !e.retriable) {
          // find the culprit: send one by one, in order
          for (const b of batch) {
            try {
              this.settle([b], await this.producer.send(this.topic, b.record));
            } catch (e1) {
              b.reject(e1);
            }
          }
        } else {
          for (const b of batch) b.reject(e);
        }
      }
    }
    this.running = false;
  }

  private settle(batch: Pending[], meta: RecordMetadata[]): void {
    const entries: MapEntry[] = batch.map((b, i) => ({
      source: b.source,
      targetPartition: meta[i]?.partition ?? 0,
      target: meta[i]?.position ?? '',
    }));
    // the map line is durable before the handler returns, hence before any source checkpoint covers it
    this.store.appendMap(this.partition, entries);
    batch.forEach((b, i) => {
      b.resolve(meta[i] as RecordMetadata);
    });
  }
}

/** Translates a source message into the record written to the target. */
export function translateMessage(m: ConsumedMessage, plan: MigrationPlan): ProducerRecord {
  const headers = plan.provenance ? { ...m.headers, [PROVENANCE_HEADER]: `${m.partition}:${m.position}` } : { ...m.headers };
  const record: ProducerRecord = { key: m.key, value: m.value, headers, timestamp: m.timestamp };
  if (m.key === null && plan.keylessKeepPartition) record.partition = m.partition;
  return record;
}

/**
 * Copies the source topic to the target topic (which must exist: see `applyPlan`).
 *
 * Stop rule for `until: 'now'`: a scan at start reads the source with a throwaway group until it has been
 * idle for `idleMs`, and records every position of every partition (the end position is the last one). The
 * copy stops when every one of those positions has been written in this run or is in the position map from
 * an earlier one. Messages not captured by the scan (written later) are held: neither copied nor committed.
 * With a timestamp, a partition's end is its last message at or before it. A source without seek (a new
 * group there sees only new messages: the Pub/Sub emulator) cannot be scanned; there "now" means: stop when
 * nothing was delivered for `idleMs` (the migration group must then exist before the data was published). Memory: one position string per
 * message still to copy (the contract has no end-position query; see the package README).
 */
export async function copyTopic(from: StreamClient, to: StreamClient, options: CopyOptions): Promise<CopyResult> {
  const { plan, store } = options;
  const until = options.until ?? 'now';
  const batchSize = Math.max(1, options.batchSize ?? 100);
  const idleMs = options.idleMs ?? 3000;
  const stallMs = options.stallMs ?? Math.max(30_000, 10 * idleMs);
  const onOversize = options.onOversize ?? 'stop';
  const ends = new Map<number, string>();
  // per partition, the source positions still to copy (captured by the scan at start); empty = at its end
  const remaining = new Map<number, Set<string>>();
  // per partition, every position captured at start (up to the end)
  const captured = new Map<number, Set<string>>();
  const scanStart = Date.now();
  let total: number | undefined;
  // without seek, a new group on the source sees nothing already written (Pub/Sub emulator): no scan is
  // possible, so "now" falls back to the idle rule: stop once nothing was delivered for idleMs
  const idleRule = until === 'now' && !from.capabilities.timestampSeek;
  if (until !== 'follow' && !idleRule) {
    const limit = until === 'now' ? Number.POSITIVE_INFINITY : until.timestamp;
    const seen = new Map<number, string[]>();
    const dedupe = new Set<string>();
    await readTopic(
      from,
      plan.sourceTopic,
      (m) => {
        const id = `${m.partition}:${m.position}`;
        if (dedupe.has(id)) return; // redelivered while scanning
        dedupe.add(id);
        let list = seen.get(m.partition);
        if (!list) {
          list = [];
          seen.set(m.partition, list);
        }
        list.push(m.position);
        if (m.timestamp <= limit) ends.set(m.partition, m.position);
      },
      { idleMs, ...(options.signal ? { signal: options.signal } : {}) },
    );
    dedupe.clear();
    for (const [p, end] of ends) {
      const list = seen.get(p) ?? [];
      const upToEnd = list.slice(0, list.indexOf(end) + 1);
      captured.set(p, new Set(upToEnd));
      remaining.set(p, new Set(upToEnd));
    }
    total = [...remaining.values()].reduce((a, r) => a + r.size, 0);
  }
  const scanMs = Date.now() - scanStart;
  let done = 0;
  // following: positions copied by earlier runs, so that a redelivery is acknowledged without a second write
  const copiedBefore = new Map<number, Set<string>>();
  for (const p of store.mapPartitions()) {
    const set = remaining.get(p);
    const before = new Set<string>();
    for await (const e of store.readMap(p)) {
      if (set?.delete(e.source)) done++;
      if (until === 'follow' || idleRule) before.add(e.source);
    }
    if (until === 'follow' || idleRule) copiedBefore.set(p, before);
  }
  const reached = new Set<number>();
  for (const [p, set] of remaining) if (set.size === 0) reached.add(p);
  const pendingEnds = () => [...ends.keys()].filter((p) => !reached.has(p));

  const producer = to.producer();
  const limiter = new RateLimiter(options.rate);
  const writers = new Map<number, PartitionWriter>();
  const maxRecords = Math.min(batchSize, to.capabilities.maxBatchRecords ?? batchSize);
  const writer = (p: number) => {
    let w = writers.get(p);
    if (!w) {
      w = new PartitionWriter(p, producer, plan.targetTopic, store, limiter, maxRecords, to.capabilities.maxBatchBytes);
      writers.set(p, w);
    }
    return w;
  };

  const stop = new AbortController();
  const stopped = new Promise<void>((r) => stop.signal.addEventListener('abort', () => r(), { once: true }));
  let stoppedBy: CopyResult['stoppedBy'] = 'caught-up';
  let fatal: unknown;
  const oversize: OversizeReport[] = [];
  let copied = 0;
  let deadLettered = 0;
  let skipped = 0;
  let lastProgress = Date.now();
  const finish = (why: CopyResult['stoppedBy'], error?: unknown) => {
    if (stop.signal.aborted) return;
    stoppedBy = why;
    if (error !== undefined) fatal = error;
    stop.abort();
  };
  const hold = async (): Promise<never> => {
    await stopped;
    throw new Error('migration stopping: message left for the next run');
  };
  const report = () => options.onProgress?.({ copied, done, total, deadLettered });
  let lastReport = 0;

  const handler = async (m: ConsumedMessage): Promise<void> => {
    const p = m.partition;
    if (stop.signal.aborted) return hold();
    if (until !== 'follow' && !idleRule) {
      // not among the positions captured at start (written later, or after the --until time): left for later
      if (!captured.get(p)?.has(m.position)) return hold();
      // redelivered after a kill, but already written (its map line exists): acknowledge without writing again
      if (!remaining.get(p)?.has(m.position)) {
        skipped++;
        return;
      }
    } else if (copiedBefore.get(p)?.has(m.position)) {
      skipped++;
      return;
    }
    const record = translateMessage(m, plan);
    const bytes = recordBytes(record);
    const headerCount = Object.keys(record.headers ?? {}).length;
    const tooManyHeaders = to.capabilities.maxHeaders !== undefined && headerCount > to.capabilities.maxHeaders;
    let tooLarge: MessageTooLargeError | undefined =
      bytes > to.capabilities.maxMessageBytes
        ? new MessageTooLargeError(0, bytes, to.capabilities.maxMessageBytes, { target: to.target })
        : undefined;
    if (!tooLarge && !tooManyHeaders) {
      try {
        await writer(p).write(record, m.position);
      } catch (e) {
        if (isSpeedlayerError(e) && e.kind === 'message-too-large') tooLarge = e as MessageTooLargeError;
        else if (isSpeedlayerError(e) && !e.retriable) {
          finish('error', e);
          return hold();
        } else throw e; // retried by the consumer engine with backoff; never skipped
      }
    }
    if (tooLarge || tooManyHeaders) {
      const rep: OversizeReport = {
        partition: p,
        position: m.position,
        key: m.key,
        bytes,
        limit: tooLarge?.limit ?? to.capabilities.maxMessageBytes,
      };
      if (onOversize === 'stop') {
        oversize.push(rep);
        finish('oversize');
        return hold();
      }
      store.appendDeadLetter({
        ...rep,
        value: Buffer.from(m.value).toString('base64'),
        headers: m.headers,
        timestamp: m.timestamp,
        reason: tooManyHeaders
          ? `${headerCount} headers; the target accepts ${to.capabilities.maxHeaders}`
          : `${bytes} bytes; the target accepts ${rep.limit}`,
      });
      store.appendMap(p, [{ source: m.position, targetPartition: -1, target: '' }]);
      oversize.push(rep);
      deadLettered++;
    } else {
      copied++;
    }
    done++;
    lastProgress = Date.now();
    options.onCopied?.(m);
    if (lastProgress - lastReport > 200) {
      lastReport = lastProgress;
      report();
    }
    const left = remaining.get(p);
    if (left?.delete(m.position) && left.size === 0) {
      reached.add(p);
      if (pendingEnds().length === 0) finish('caught-up');
    }
  };

  const copyStart = Date.now();
  if (until !== 'follow' && !idleRule && pendingEnds().length === 0) finish('caught-up');
  const onExternal = () => finish('signal');
  options.signal?.addEventListener('abort', onExternal, { once: true });
  if (options.signal?.aborted) finish('signal');
  let sub: Awaited<ReturnType<StreamClient['subscribe']>> | undefined;
  if (!stop.signal.aborted) {
    sub = await from.subscribe(
      {
        topic: plan.sourceTopic,
        group: options.group,
        startFrom: 'earliest',
        concurrency: batchSize,
        maxAttempts: MAX_HANDLER_ATTEMPTS,
        retryBackoff: { initialMs: 100, maxMs: 5000 },
        maxBufferedPerPartition: Math.max(200, batchSize * 3),
        onError: () => {},
        onAssignment: () => {
          lastProgress = Date.now();
        },
      },
      handler,
    );
    lastProgress = Date.now();
    while (!stop.signal.aborted) {
      await Promise.race([stopped, sleep(100)]);
      if (idleRule && Date.now() - lastProgress > idleMs) finish('caught-up');
      else if (until !== 'follow' && Date.now() - lastProgress > stallMs) finish('stalled');
    }
    await sub.close();
  }
  options.signal?.removeEventListener('abort', onExternal);
  await producer.close();
  report();
  let duplicatesRecorded = 0;
  for (const p of store.mapPartitions()) {
    const s = await store.mapSummary(p);
    duplicatesRecorded += s.lines - s.distinct;
  }
  const result: CopyResult = {
    copied,
    deadLettered,
    skipped,
    total,
    stoppedBy,
    endPositions: Object.fromEntries([...ends].map(([p, pos]) => [String(p), pos])),
    unfinished: pendingEnds(),
    oversize,
    duplicatesRecorded,
    duplicateBound: `at most ${batchSize} messages per source partition and kill (a batch written to the target whose map line was not yet appended)`,
    copyMs: Date.now() - copyStart,
    scanMs,
  };
  if (fatal !== undefined) result.error = fatal instanceof Error ? fatal.message : String(fatal);
  if ((stoppedBy as CopyResult['stoppedBy']) === 'stalled')
    result.error = `source partitions ${result.unfinished.join(', ')} delivered nothing for ${stallMs} ms before their end positions: is group ${options.group} already past them (used by another run)? Use another --group`;
  if ((stoppedBy as CopyResult['stoppedBy']) === 'oversize' && oversize[0]) {
    const o = oversize[0];
    result.error = `message at source partition ${o.partition} position ${o.position} is ${o.bytes} bytes; the target accepts at most ${o.limit} bytes; the run stopped before it (use --on-oversize dead-letter to set it aside)`;
  }
  return result;
}
