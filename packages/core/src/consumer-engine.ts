/**
 * The consumer engine every adapter feeds: per-partition ordering, bounded concurrency (serial per key),
 * handler retries with backoff, dead-lettering, and checkpoints that advance only over a contiguous run of
 * finished messages. Adapters fetch and commit; the semantics live here once.
 *
 * @packageDocumentation
 */

import type { DriverProducer } from './driver.js';
import { DeadLetterError, describeError, isSpeedlayerError } from './errors.js';
import { type ConsumedMessage, DeadLetterHeaders, type Headers, type ProducerRecord } from './message.js';
import { backoffDelay, sleep } from './retry.js';
import type { BackoffOptions, HandlerContext, MessageHandler, StreamAdmin, SubscriptionStats } from './stream.js';

/** A `SpeedlayerError` whose `retriable` is false: retrying the handler cannot help, so it is dead-lettered at once. */
function isPermanent(error: unknown): boolean {
  return isSpeedlayerError(error) && !error.retriable;
}

/** Options of a {@link PartitionProcessor}. */
export interface PartitionProcessorOptions {
  /** Topic being read. */
  topic: string;
  /** Consumer group. */
  group: string;
  /** Partition index. */
  partition: number;
  /** The application's handler. */
  handler: MessageHandler;
  /** Handler attempts before dead-lettering. @default 5 */
  maxAttempts?: number;
  /** Delay between attempts. */
  backoff?: BackoffOptions;
  /** Messages in flight at once (serial per key). @default 1 */
  concurrency?: number;
  /**
   * Publishes a message that failed every attempt; must throw if it could not. A retriable failure is tried again
   * up to `deadLetterAttempts` times; then (or at once for a non-retriable one) the partition stops: a
   * {@link DeadLetterError} goes to `onError`, `stats.deadLetterFailures` counts it, and nothing after the message
   * is handled or checkpointed until the subscription restarts. The message is never skipped. `send` is the portable
   * producer path of the subscription when `handler` is the portable client's chain (see {@link withDeadLetterSend}),
   * else undefined: give it to {@link DeadLetterSink.publish}.
   */
  deadLetter: (message: ConsumedMessage, error: unknown, attempts: number, send: DeadLetterSend | undefined) => Promise<void>;
  /** Attempts to publish one dead letter before the partition stops. @default 10 */
  deadLetterAttempts?: number;
  /** Writes a checkpoint covering `message` and everything before it in this partition. */
  commit: (message: ConsumedMessage) => Promise<void>;
  /**
   * Shortest time between two checkpoint writes, in ms (the first after a quiet period goes out at once, later
   * progress within the interval is coalesced into one write); the last one is always written on stop. @default 500
   */
  commitIntervalMs?: number;
  /** Counters shared with the subscription. */
  stats: SubscriptionStats;
  /** Recoverable errors (dead-letter publish or commit failures being retried). */
  onError?: (error: unknown) => void;
}

/** Slot states. */
const PENDING = 0;
const RUNNING = 1;
const DONE = 2;

interface Slot {
  message: ConsumedMessage;
  state: typeof PENDING | typeof RUNNING | typeof DONE;
  /** Enqueue order (position order within the partition). */
  seq: number;
  /** The next enqueued message with the same key (concurrency > 1 only): it starts when this one is done. */
  nextSameKey: Slot | undefined;
}

/** Compact the queue's consumed prefix once it is at least this long (and half the array). */
const COMPACT_AT = 1024;

/** A binary min-heap of slots by enqueue order: the startable messages, earliest first (concurrency > 1). */
class ReadyHeap {
  private readonly items: Slot[] = [];

  push(slot: Slot): void {
    const a = this.items;
    let i = a.length;
    a.push(slot);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = a[parent] as Slot;
      if (p.seq <= slot.seq) break;
      a[i] = p;
      i = parent;
    }
    a[i] = slot;
  }

  pop(): Slot | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    let i = 0;
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && (a[r] as Slot).seq < (a[l] as Slot).seq ? r : l;
      const c = a[child] as Slot;
      if (c.seq >= last.seq) break;
      a[i] = c;
      i = child;
    }
    a[i] = last;
    return top;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** Headers added to a dead-lettered message. */
export function deadLetterHeaders(message: ConsumedMessage, error: unknown, attempts: number, group: string): Headers {
  return {
    ...message.headers,
    [DeadLetterHeaders.error]: describeError(error).slice(0, 1024),
    [DeadLetterHeaders.errorKind]: isSpeedlayerError(error) ? error.kind : 'handler',
    [DeadLetterHeaders.attempts]: String(attempts),
    [DeadLetterHeaders.sourceTopic]: message.topic,
    [DeadLetterHeaders.sourcePartition]: String(message.partition),
    [DeadLetterHeaders.sourcePosition]: message.position,
    [DeadLetterHeaders.group]: group,
    [DeadLetterHeaders.failedAt]: new Date().toISOString(),
  };
}

/**
 * Sends one dead letter through the portable producer path (record validation against the target's limits, the send
 * middleware chain — tracing, metrics, user middleware —, batching); rejects with the portable client's typed error.
 */
export type DeadLetterSend = (topic: string, record: ProducerRecord) => Promise<unknown>;

const DEAD_LETTER_SEND = Symbol.for('speedlayer.deadLetterSend');

/**
 * Marks `handler` (the portable client's handler chain given to a driver's `subscribe`) with the path its
 * subscription's dead letters take. The {@link PartitionProcessor} fed that handler publishes every dead letter
 * through `send`, whatever {@link DeadLetterSink} the adapter wires up: drivers need no change.
 */
export function withDeadLetterSend<H extends MessageHandler>(handler: H, send: DeadLetterSend): H {
  Object.defineProperty(handler, DEAD_LETTER_SEND, { value: send, enumerable: false });
  return handler;
}

function deadLetterSendOf(handler: MessageHandler): DeadLetterSend | undefined {
  const send = (handler as { [DEAD_LETTER_SEND]?: unknown })[DEAD_LETTER_SEND];
  return typeof send === 'function' ? (send as DeadLetterSend) : undefined;
}

/** Options of {@link DeadLetterSink}. */
export interface DeadLetterSinkOptions {
  /** The consumed topic. */
  topic: string;
  /** The consumer group (recorded in the dead letter's headers). */
  group: string;
  /** The dead-letter topic. @default `<topic>.dlq` */
  deadLetterTopic?: string | undefined;
  /** Makes the dead-letter topic exist; called on the first dead letter, and again after a failure. */
  ensureTopic: (deadLetterTopic: string) => Promise<void>;
  /**
   * Creates the producer that publishes dead letters (once, on the first dead letter). Used only when the
   * subscription has no portable send path (a driver fed a bare handler, outside `connect()`).
   */
  producer: () => DriverProducer;
}

/**
 * Where an adapter's subscription sends messages whose handler kept failing: the dead-letter topic, with the error,
 * attempts and source position in headers ({@link deadLetterHeaders}). Created per subscription; the topic and the
 * producer are set up on the first dead letter only.
 */
export class DeadLetterSink {
  /** The dead-letter topic. */
  readonly topic: string;
  private ready: Promise<void> | undefined;
  private producer: DriverProducer | undefined;

  constructor(private readonly options: DeadLetterSinkOptions) {
    this.topic = options.deadLetterTopic ?? `${options.topic}.dlq`;
  }

  /**
   * Publishes `message` to the dead-letter topic, through the portable producer path when there is one (so it is
   * validated, batched and seen by send middleware like any other record). Rejects (and the engine retries a
   * retriable failure) when that fails. `send` is the portable path the {@link PartitionProcessor} hands to its
   * `deadLetter` callback; without one the sink's own driver producer publishes.
   */
  async publish(message: ConsumedMessage, error: unknown, attempts: number, send?: DeadLetterSend): Promise<void> {
    this.ready ??= this.options.ensureTopic(this.topic).catch((e: unknown) => {
      this.ready = undefined;
      throw e;
    });
    await this.ready;
    const record: ProducerRecord = {
      key: message.key,
      value: message.value,
      headers: deadLetterHeaders(message, error, attempts, this.options.group),
      timestamp: message.timestamp,
    };
    if (send) {
      await send(this.topic, record);
      return;
    }
    this.producer ??= this.options.producer();
    await this.producer.send(this.topic, record);
  }

  /** Closes the producer, if one was created. */
  async close(): Promise<void> {
    await this.producer?.close();
  }
}

/** Creates `topic` with `partitions` partitions when describing it says it does not exist. */
export async function ensureTopicByDescribe(admin: StreamAdmin, topic: string, partitions = 1): Promise<void> {
  try {
    await admin.describeTopic(topic);
  } catch (e) {
    if ((e as { kind?: string }).kind !== 'not-found') throw e;
    await admin.ensureTopic(topic, { partitions });
  }
}

/**
 * Processes one partition's messages in position order.
 *
 * Enqueue fetched messages with {@link PartitionProcessor.enqueue}; respect {@link PartitionProcessor.buffered}
 * (or await {@link PartitionProcessor.waitForSpace}) for backpressure; await {@link PartitionProcessor.drained}
 * (finished) or {@link PartitionProcessor.idle} (finished and committed); call {@link PartitionProcessor.stop} on
 * revoke or close: in-flight handlers finish, nothing new starts, and the contiguous prefix is committed.
 *
 * Per message the cost is O(1): a queue with a moving head, a min-heap of startable messages and a per-key chain
 * (concurrency > 1), the handler called directly (a synchronous handler needs no promise at all), retries and
 * dead-lettering off the fast path, and checkpoints coalesced to at most one write per `commitIntervalMs`.
 */
export class PartitionProcessor {
  /** Enqueued messages in position order; `queue[head]` is the earliest one not yet finished. */
  private queue: Slot[] = [];
  private head = 0;
  private seq = 0;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly commitIntervalMs: number;
  /** The portable send path of dead letters, when the handler is the portable client's chain. */
  private readonly deadLetterSend: DeadLetterSend | undefined;
  private readonly abort = new AbortController();
  /** What every handler call gets beside its message: aborted on `stop()`. */
  private readonly context: HandlerContext;
  private inFlight = 0;
  /** Startable messages (concurrency > 1). */
  private readonly ready = new ReadyHeap();
  /** Last enqueued unfinished message per key (concurrency > 1): later ones of the key chain behind it. */
  private readonly keyTails = new Map<string, Slot>();
  private pumping = false;
  private pendingCommit: ConsumedMessage | undefined;
  private lastCommitted: ConsumedMessage | undefined;
  private lastCommitAt = 0;
  private commitTimer: NodeJS.Timeout | undefined;
  private commitRunning = false;
  private committing: Promise<void> = Promise.resolve();
  private stopped = false;
  private idleWaiters: Array<() => void> = [];
  private spaceWaiters: Array<{ limit: number; resolve: () => void }> = [];

  constructor(private readonly options: PartitionProcessorOptions) {
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.commitIntervalMs = options.commitIntervalMs ?? 500;
    this.deadLetterSend = deadLetterSendOf(options.handler);
    this.context = { signal: this.abort.signal, group: options.group };
  }

  /** Messages enqueued and not yet finished. */
  get buffered(): number {
    return this.queue.length - this.head;
  }

  /** The last message covered by a written checkpoint. */
  get committed(): ConsumedMessage | undefined {
    return this.lastCommitted;
  }

  /** True after `stop()`. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** Adds fetched messages (in position order). Ignored after `stop()`. */
  enqueue(messages: readonly ConsumedMessage[]): void {
    if (this.stopped) return;
    const serial = this.concurrency === 1;
    for (const message of messages) {
      const slot: Slot = { message, state: PENDING, seq: this.seq++, nextSameKey: undefined };
      this.queue.push(slot);
      if (serial) continue;
      const key = message.key;
      if (key === null) {
        this.ready.push(slot);
        continue;
      }
      // per-key order: a message starts only after the previous one of its key is done
      const tail = this.keyTails.get(key);
      if (tail) tail.nextSameKey = slot;
      else this.ready.push(slot);
      this.keyTails.set(key, slot);
    }
    this.pump();
  }

  /** Resolves when fewer than `limit` messages are buffered (or the processor stops). */
  waitForSpace(limit: number): Promise<void> {
    if (this.buffered < limit || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.spaceWaiters.push({ limit, resolve }));
  }

  /**
   * Resolves when everything enqueued so far is finished (handled or dead-lettered), or the processor stopped
   * and nothing is running. The checkpoint follows on the commit interval (or on `stop()` / `idle()`).
   */
  drained(): Promise<void> {
    if (this.buffered === 0 || (this.stopped && this.inFlight === 0)) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Resolves when everything enqueued so far is finished and committed. */
  async idle(): Promise<void> {
    await this.drained();
    await this.flushCommit();
  }

  /**
   * Stops: aborts retry waits, lets running handlers finish, starts nothing new, commits the contiguous prefix.
   * Messages not finished are left for the next owner. Safe to call twice.
   */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.abort.abort();
      for (const w of this.spaceWaiters.splice(0)) w.resolve();
      if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
    while (this.inFlight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.flushCommit();
  }

  /** Starts messages up to the concurrency; a loop (not recursion) when handlers finish synchronously. */
  private pump(): void {
    if (this.pumping) return; // the running loop below picks the change up
    this.pumping = true;
    try {
      while (!this.stopped && this.inFlight < this.concurrency) {
        const slot = this.next();
        if (!slot) break;
        this.start(slot);
      }
    } finally {
      this.pumping = false;
    }
  }

  private next(): Slot | undefined {
    if (this.concurrency === 1) {
      // serial: the earliest unfinished message, once nothing runs
      const slot = this.queue[this.head];
      return slot?.state === PENDING ? slot : undefined;
    }
    return this.ready.pop();
  }

  private start(slot: Slot): void {
    slot.state = RUNNING;
    this.inFlight++;
    const { message } = slot;
    // a fresh object per attempt: what the handler does to it cannot change the checkpoint
    const first = message.deliveryAttempt || 1;
    let result: unknown;
    try {
      result = this.options.handler({ ...message, deliveryAttempt: first }, this.context);
    } catch (e) {
      this.failed(slot, e);
      return;
    }
    if (isThenable(result)) {
      result.then(
        () => this.succeeded(slot),
        (e: unknown) => this.failed(slot, e),
      );
    } else {
      this.succeeded(slot);
    }
  }

  private succeeded(slot: Slot): void {
    this.options.stats.handled++;
    this.finish(slot, true);
  }

  /** First attempt failed: retries (with backoff) and dead-lettering run off the fast path. */
  private failed(slot: Slot, error: unknown): void {
    this.options.stats.failures++;
    this.retry(slot.message, error).then(
      (finished) => this.finish(slot, finished),
      (e: unknown) => {
        this.options.onError?.(e);
        this.finish(slot, false);
      },
    );
  }

  private finish(slot: Slot, finished: boolean): void {
    this.inFlight--;
    if (finished) {
      slot.state = DONE;
      if (this.concurrency > 1 && slot.message.key !== null) {
        const nextOfKey = slot.nextSameKey;
        if (nextOfKey) {
          slot.nextSameKey = undefined;
          this.ready.push(nextOfKey);
        } else if (this.keyTails.get(slot.message.key) === slot) {
          this.keyTails.delete(slot.message.key);
        }
      }
      this.advance();
    } else {
      // stopped first: left unfinished (and uncommitted) for the next owner
      slot.state = PENDING;
      if (!this.stopped && this.concurrency > 1) this.ready.push(slot);
    }
    if (this.inFlight === 0 && (this.stopped || this.buffered === 0) && this.idleWaiters.length > 0) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
    this.pump();
  }

  /** Drops the finished prefix and schedules a checkpoint for its last message. */
  private advance(): void {
    const q = this.queue;
    let h = this.head;
    let last: Slot | undefined;
    while (h < q.length) {
      const slot = q[h] as Slot;
      if (slot.state !== DONE) break;
      last = slot;
      h++;
    }
    if (!last) return;
    if (h === q.length) {
      q.length = 0;
      h = 0;
    } else if (h >= COMPACT_AT && h * 2 >= q.length) {
      q.splice(0, h); // amortised O(1): at most as many moved as were consumed
      h = 0;
    }
    this.head = h;
    this.pendingCommit = last.message;
    if (this.spaceWaiters.length > 0) {
      const buffered = this.buffered;
      for (let i = this.spaceWaiters.length - 1; i >= 0; i--) {
        const w = this.spaceWaiters[i];
        if (w && buffered < w.limit) {
          this.spaceWaiters.splice(i, 1);
          w.resolve();
        }
      }
    }
    this.scheduleCommit();
  }

  /**
   * Checkpoints are coalesced: at most one write per `commitIntervalMs` (the first at once after a quiet
   * period), each covering the contiguous finished prefix at the time it is written; never more than one at once.
   */
  private scheduleCommit(): void {
    if (this.commitTimer || this.commitRunning || this.stopped) return; // re-checked when the write completes
    const wait = this.commitIntervalMs <= 0 ? 0 : this.lastCommitAt + this.commitIntervalMs - Date.now();
    if (wait <= 0) {
      void this.flushCommit();
      return;
    }
    this.commitTimer = setTimeout(() => {
      this.commitTimer = undefined;
      void this.flushCommit();
    }, wait);
  }

  /** Writes the pending checkpoint now (serialised with earlier writes). */
  flushCommit(): Promise<void> {
    if (this.commitTimer) {
      clearTimeout(this.commitTimer);
      this.commitTimer = undefined;
    }
    this.committing = this.committing.then(() => this.writeCommit());
    return this.committing;
  }

  private async writeCommit(): Promise<void> {
    const target = this.pendingCommit;
    if (!target || target === this.lastCommitted) return;
    this.commitRunning = true;
    let ok = false;
    try {
      await this.options.commit(target);
      this.lastCommitted = target;
      this.options.stats.commits++;
      ok = true;
    } catch (e) {
      // A failed checkpoint only means more redelivery later; the next write tries again.
      this.options.onError?.(e);
    } finally {
      this.commitRunning = false;
      this.lastCommitAt = Date.now();
    }
    // progress made while writing goes out on the interval; after a failure only with an interval (no busy loop)
    if (this.pendingCommit !== this.lastCommitted && (ok || this.commitIntervalMs > 0)) this.scheduleCommit();
  }

  /**
   * Attempts 2.. with backoff after a failed first attempt; dead-letters after the last one. Returns false if
   * stopped first.
   */
  private async retry(message: ConsumedMessage, firstError: unknown): Promise<boolean> {
    const { handler, stats } = this.options;
    let lastError = firstError;
    const firstAttempt = message.deliveryAttempt || 1;
    let attempts = 1;
    // a non-retriable error (e.g. ValidationError) cannot be cured by trying again: dead-letter it at once
    for (let attempt = 2; attempt <= this.maxAttempts && !isPermanent(lastError); attempt++) {
      await sleep(backoffDelay(attempt - 1, this.options.backoff ?? {}), this.abort.signal);
      if (this.stopped) return false;
      attempts = attempt;
      try {
        await handler({ ...message, deliveryAttempt: firstAttempt + attempt - 1 }, this.context);
        stats.handled++;
        return true;
      } catch (e) {
        lastError = e;
        stats.failures++;
      }
    }
    // Every attempt failed: publish to the dead-letter topic; never skip without it.
    const limit = this.options.deadLetterAttempts ?? DEFAULT_DEAD_LETTER_ATTEMPTS;
    let failure: unknown;
    for (let attempt = 1; attempt <= limit; attempt++) {
      try {
        await this.options.deadLetter(message, lastError, attempts, this.deadLetterSend);
        stats.deadLettered++;
        return true;
      } catch (e) {
        failure = e;
        if (this.stopped) return false;
        if (isPermanent(e)) break; // the same dead letter cannot succeed on a retry (too large, bad name, denied)
        this.options.onError?.(e);
        if (attempt < limit) await sleep(backoffDelay(attempt, { initialMs: 100, maxMs: 5000 }), this.abort.signal);
        if (this.stopped) return false;
      }
    }
    // The dead letter cannot be published: stop this partition (explicit policy; never a silent loop or drop).
    stats.deadLetterFailures = (stats.deadLetterFailures ?? 0) + 1;
    const where = `${message.topic}/${message.partition}@${message.position}`;
    this.options.onError?.(
      new DeadLetterError(
        `dead letter of ${where} (group ${this.options.group}) could not be published: ${describeError(failure)}; the partition is stopped until the subscription restarts (nothing after it is handled or checkpointed)`,
        { topic: message.topic, partition: message.partition, position: message.position, policy: 'stop', cause: failure },
      ),
    );
    await new Promise<void>((resolve) => {
      if (this.abort.signal.aborted) resolve();
      else this.abort.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    return false;
  }
}

/** Attempts to publish one dead letter before the partition stops. */
export const DEFAULT_DEAD_LETTER_ATTEMPTS = 10;

/** Fresh zeroed counters. */
export function newStats(): SubscriptionStats {
  return { handled: 0, failures: 0, deadLettered: 0, commits: 0, deadLetterFailures: 0 };
}
