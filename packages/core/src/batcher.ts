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
import type { ProducerRecord, RecordMetadata } from './message.js';

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
  /**
   * The keys of the call (null keys carry no order): its one key as a string (the common case, a one-record call,
   * allocates nothing), the set of distinct keys of a call of several, or null when it has none.
   */
  keys: Keys;
  resolve: (metadata: RecordMetadata[]) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  settled: boolean;
}

type Keys = string | Set<string> | null;

function keysOf(records: readonly ProducerRecord[]): Keys {
  let first: string | null = null;
  let set: Set<string> | undefined;
  for (let i = 0; i < records.length; i++) {
    const k = (records[i] as ProducerRecord).key;
    if (k === undefined || k === null) continue;
    if (first === null) first = k;
    else if (k !== first) {
      set ??= new Set([first]);
      set.add(k);
    }
  }
  return set ?? first;
}

/**
 * The bytes of a call's records as `recordBytes` counts them (key + value + header names and values), without its
 * per-record allocations: a string value is measured, not encoded, and headers are walked without `Object.entries`.
 */
function bytesOf(records: readonly ProducerRecord[]): number {
  let n = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as ProducerRecord;
    const v = r.value;
    n += typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.byteLength;
    if (r.key) n += Buffer.byteLength(r.key, 'utf8');
    const h = r.headers;
    if (h) {
      for (const k in h) {
        if (Object.hasOwn(h, k)) n += Buffer.byteLength(k, 'utf8') + Buffer.byteLength(h[k] as string, 'utf8');
      }
    }
  }
  return n;
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
  /**
   * Keys in batches in flight. A key is in at most one batch in flight at a time (`take` holds back a call whose key
   * is busy), so a set is enough: a batch adds its keys when it starts and removes them when it ends.
   */
  private readonly busyKeys = new Set<string>();
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

  /**
   * Queues a call; resolves with its records' metadata. Waits first when the queue is over its byte budget.
   * Never throws: every failure is a rejection. The call is queued before this returns unless it must wait for room
   * (one promise per call: this runs for every `send()`).
   */
  add(records: ProducerRecord[], signal?: AbortSignal): Promise<RecordMetadata[]> {
    if (this.queuedBytes > this.options.maxQueuedBytes && this.queue.length > 0) return this.addWhenRoom(records, signal);
    return this.enqueue(records, signal);
  }

  private async addWhenRoom(records: ProducerRecord[], signal: AbortSignal | undefined): Promise<RecordMetadata[]> {
    while (this.queuedBytes > this.options.maxQueuedBytes && this.queue.length > 0) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    return this.enqueue(records, signal);
  }

  private enqueue(records: ProducerRecord[], signal: AbortSignal | undefined): Promise<RecordMetadata[]> {
    if (signal?.aborted) return Promise.reject(cancelled(records.length));
    let bytes: number;
    let keys: Keys;
    try {
      bytes = bytesOf(records);
      keys = keysOf(records);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      const call: Call = { records, bytes, keys, resolve, reject, signal, onAbort: undefined, settled: false };
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
    const busy = this.busyKeys;
    // keys of calls left in the queue (made only once one is): later calls of those keys stay behind them
    let held: Set<string> | undefined;
    let records = 0;
    let bytes = 0;
    let full = false;
    const queue = this.queue;
    for (let i = 0; i < queue.length; i++) {
      const call = queue[i] as Call;
      if (full) {
        left.push(call);
        continue;
      }
      const keys = call.keys;
      let waits = false;
      if (keys !== null && (busy.size > 0 || held !== undefined)) {
        if (typeof keys === 'string') waits = busy.has(keys) || held?.has(keys) === true;
        else for (const k of keys) if (busy.has(k) || held?.has(k)) waits = true;
      }
      const fits =
        taken.length === 0 || (records + call.records.length <= maxBatchRecords && bytes + call.bytes <= maxBatchBytes);
      if (waits || !fits) {
        left.push(call);
        if (keys !== null) {
          held ??= new Set();
          if (typeof keys === 'string') held.add(keys);
          else for (const k of keys) held.add(k);
        }
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
    if (this.roomWaiters.length > 0) this.wakeRoom();
    return taken;
  }

  private async run(batch: Call[]): Promise<void> {
    this.inFlight++;
    const busy = this.busyKeys;
    for (let i = 0; i < batch.length; i++) {
      const keys = (batch[i] as Call).keys;
      if (typeof keys === 'string') busy.add(keys);
      else if (keys !== null) for (const k of keys) busy.add(k);
    }
    let released = false;
    // frees the batch's slot and keys and schedules what waits; runs in the same synchronous block that settles
    // the batch's calls, so their callers (who resume after it) find their keys free and the next batch on its way
    const release = (): void => {
      if (released) return;
      released = true;
      for (let i = 0; i < batch.length; i++) {
        const keys = (batch[i] as Call).keys;
        if (typeof keys === 'string') busy.delete(keys);
        else if (keys !== null) for (const k of keys) busy.delete(k);
      }
      this.inFlight--;
      if (this.queue.length > 0) this.schedule();
    };
    try {
      await this.sendCalls(batch, release);
    } finally {
      release();
      this.checkIdle();
    }
  }

  /** Sends `batch` and settles its calls, then runs `release` (of a whole batch, not of a split's part). */
  private async sendCalls(batch: Call[], release: (() => void) | undefined): Promise<void> {
    let records: ProducerRecord[];
    if (batch.length === 1) records = (batch[0] as Call).records;
    else {
      records = [];
      for (let i = 0; i < batch.length; i++) {
        const list = (batch[i] as Call).records;
        for (let j = 0; j < list.length; j++) records.push(list[j] as ProducerRecord);
      }
    }
    this.stats.batches++;
    this.stats.records += records.length;
    let metadata: RecordMetadata[];
    try {
      metadata = await this.send(records);
    } catch (e) {
      if (batch.length > 1 && nonRetriable(e)) {
        // nothing of the batch was written: send each call alone, so only the bad one fails
        this.stats.splits++;
        for (const call of batch) await this.sendCalls([call], undefined);
        return;
      }
      for (const call of batch) this.settle(call, undefined, e);
      release?.();
      return;
    }
    if (batch.length === 1 && metadata.length === (batch[0] as Call).records.length) {
      this.settle(batch[0] as Call, metadata, undefined); // the driver's own array: no copy for a lone call
      release?.();
      return;
    }
    let at = 0;
    for (let i = 0; i < batch.length; i++) {
      const call = batch[i] as Call;
      const n = call.records.length;
      this.settle(call, n === 1 ? [metadata[at] as RecordMetadata] : metadata.slice(at, at + n), undefined);
      at += n;
    }
    release?.();
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
