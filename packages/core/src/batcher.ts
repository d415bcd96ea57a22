/**
 * The cross-call batcher of the portable producer: concurrent `send()` calls of one topic coalesce into driver
 * batches up to the target's record and byte limits.
 *
 * - A call is a unit: its records go out together, in one batch, or the call fails whole.
 * - Per-key order: a call whose key is in a batch still in flight waits for that batch, and so does every later
 *   call of that key; calls of other keys may go ahead.
 * - At most `maxInFlight` batches per topic are in flight; while they are, calls accumulate (as Nagle's rule), so
 *   batches grow with load and a lone call waits for no one (`lingerMs: 0`).
 * - Each call settles with its own records' metadata. A batch that fails with a non-retriable error and holds
 *   several calls is split: each call is sent alone, so one bad record fails only its own call.
 *
 * @packageDocumentation
 */
import { CancelledError, isSpeedlayerError } from './errors.js';
import { type ProducerRecord, type RecordMetadata, recordBytes } from './message.js';

/** Batcher settings, resolved. */
export interface BatcherOptions {
  lingerMs: number;
  maxInFlight: number;
  maxBatchRecords: number;
  maxBatchBytes: number;
  maxQueuedBytes: number;
}

/** Sends one batch of one topic. */
export type BatchSender = (records: ProducerRecord[]) => Promise<RecordMetadata[]>;

interface Call {
  records: ProducerRecord[];
  bytes: number;
  /** Distinct keys of the call (null keys carry no order). */
  keys: string[];
  resolve: (metadata: RecordMetadata[]) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  settled: boolean;
}

function keysOf(records: readonly ProducerRecord[]): string[] {
  if (records.length === 1) {
    const k = records[0]?.key;
    return k === undefined || k === null ? [] : [k];
  }
  const set = new Set<string>();
  for (const r of records) if (r.key !== undefined && r.key !== null) set.add(r.key);
  return [...set];
}

function nonRetriable(e: unknown): boolean {
  return isSpeedlayerError(e) && !e.retriable;
}

/** Batches the calls of one topic. */
export class TopicBatcher {
  private queue: Call[] = [];
  private queuedBytes = 0;
  /** Records in the queue (kept as a count: scanning the queue on every add is quadratic in callers). */
  private queuedRecordCount = 0;
  private inFlight = 0;
  /** Keys in batches in flight, with how many batches hold each. */
  private readonly busyKeys = new Map<string, number>();
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: Array<() => void> = [];
  private roomWaiters: Array<() => void> = [];
  /** Batches sent and records in them (for tests and stats). */
  readonly stats = { batches: 0, records: 0, splits: 0 };

  constructor(
    private readonly send: BatchSender,
    private readonly options: BatcherOptions,
  ) {}

  /** Calls waiting or in flight. */
  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  /** Queues a call; resolves with its records' metadata. Waits first when the queue is over its byte budget. */
  async add(records: ProducerRecord[], signal?: AbortSignal): Promise<RecordMetadata[]> {
    while (this.queuedBytes > this.options.maxQueuedBytes && this.queue.length > 0) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    if (signal?.aborted) throw cancelled(records.length);
    let bytes = 0;
    for (const r of records) bytes += recordBytes(r);
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      const call: Call = { records, bytes, keys: keysOf(records), resolve, reject, signal, onAbort: undefined, settled: false };
      if (signal) {
        call.onAbort = () => this.abortCall(call);
        signal.addEventListener('abort', call.onAbort, { once: true });
      }
      this.queue.push(call);
      this.queuedBytes += bytes;
      this.queuedRecordCount += records.length;
      this.schedule();
    });
  }

  /** Resolves when nothing waits and nothing is in flight. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    this.flushNow();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Sends what waits without lingering. */
  flushNow(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.dispatch(true);
  }

  private abortCall(call: Call): void {
    const i = this.queue.indexOf(call);
    if (i < 0) return; // already in a batch: it settles with the batch
    this.queue.splice(i, 1);
    this.queuedBytes -= call.bytes;
    this.queuedRecordCount -= call.records.length;
    this.settle(call, undefined, cancelled(call.records.length));
    this.wakeRoom();
    this.checkIdle();
  }

  private schedule(): void {
    if (this.inFlight >= this.options.maxInFlight) return; // a finishing batch dispatches the rest
    const full = this.queuedBytes >= this.options.maxBatchBytes || this.queuedRecordCount >= this.options.maxBatchRecords;
    if (full) {
      this.flushNow();
      return;
    }
    if (this.options.lingerMs > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.dispatch(true);
      }, this.options.lingerMs);
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    // the calls made in this event-loop turn go out together
    setImmediate(() => {
      this.scheduled = false;
      this.dispatch(true);
    });
  }

  /** Starts batches while slots are free and something can go. */
  private dispatch(force: boolean): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch = this.take();
      if (batch.length === 0) break;
      void this.run(batch);
      if (!force) break;
    }
  }

  /** Takes the next batch off the queue: calls in order, skipping (and blocking the keys of) calls that must wait. */
  private take(): Call[] {
    const { maxBatchRecords, maxBatchBytes } = this.options;
    const taken: Call[] = [];
    const left: Call[] = [];
    const blocked = new Set<string>(this.busyKeys.keys());
    let records = 0;
    let bytes = 0;
    let full = false;
    for (const call of this.queue) {
      if (full) {
        left.push(call);
        continue;
      }
      const waits = call.keys.some((k) => blocked.has(k));
      const fits =
        taken.length === 0 || (records + call.records.length <= maxBatchRecords && bytes + call.bytes <= maxBatchBytes);
      if (waits || !fits) {
        left.push(call);
        for (const k of call.keys) blocked.add(k); // later calls of its keys stay behind it
        if (!fits && records >= maxBatchRecords) full = true;
        continue;
      }
      taken.push(call);
      records += call.records.length;
      bytes += call.bytes;
      if (records >= maxBatchRecords || bytes >= maxBatchBytes) full = true;
    }
    this.queue = left;
    for (const call of taken) {
      this.queuedBytes -= call.bytes;
      this.queuedRecordCount -= call.records.length;
      if (call.onAbort) call.signal?.removeEventListener('abort', call.onAbort);
    }
    this.wakeRoom();
    return taken;
  }

  private async run(batch: Call[]): Promise<void> {
    this.inFlight++;
    for (const call of batch) for (const k of call.keys) this.busyKeys.set(k, (this.busyKeys.get(k) ?? 0) + 1);
    try {
      await this.sendCalls(batch);
    } finally {
      for (const call of batch) {
        for (const k of call.keys) {
          const n = (this.busyKeys.get(k) ?? 1) - 1;
          if (n <= 0) this.busyKeys.delete(k);
          else this.busyKeys.set(k, n);
        }
      }
      this.inFlight--;
      if (this.queue.length > 0) this.schedule();
      this.checkIdle();
    }
  }

  private async sendCalls(batch: Call[]): Promise<void> {
    const records = batch.length === 1 ? (batch[0] as Call).records : batch.flatMap((c) => c.records);
    this.stats.batches++;
    this.stats.records += records.length;
    let metadata: RecordMetadata[];
    try {
      metadata = await this.send(records);
    } catch (e) {
      if (batch.length > 1 && nonRetriable(e)) {
        // nothing of the batch was written: send each call alone, so only the bad one fails
        this.stats.splits++;
        for (const call of batch) await this.sendCalls([call]);
        return;
      }
      for (const call of batch) this.settle(call, undefined, e);
      return;
    }
    let at = 0;
    for (const call of batch) {
      this.settle(call, metadata.slice(at, at + call.records.length), undefined);
      at += call.records.length;
    }
  }

  private settle(call: Call, metadata: RecordMetadata[] | undefined, error: unknown): void {
    if (call.settled) return;
    call.settled = true;
    if (metadata) call.resolve(metadata);
    else call.reject(error);
  }

  private wakeRoom(): void {
    if (this.queuedBytes <= this.options.maxQueuedBytes) for (const w of this.roomWaiters.splice(0)) w();
  }

  private checkIdle(): void {
    if (this.pending === 0) for (const w of this.idleWaiters.splice(0)) w();
  }
}

function cancelled(records: number): CancelledError {
  return new CancelledError(`send of ${records} record(s) was aborted before it went out; nothing of it was sent`, {
    field: 'options.signal',
  });
}
