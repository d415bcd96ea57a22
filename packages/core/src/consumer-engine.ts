/**
 * The consumer engine every adapter feeds: per-partition ordering, bounded concurrency (serial per key),
 * handler retries with backoff, dead-lettering, and checkpoints that advance only over a contiguous run of
 * finished messages. Adapters fetch and commit; the semantics live here once.
 *
 * @packageDocumentation
 */
import { describeError, isSpeedlayerError } from './errors.js';
import { type ConsumedMessage, DeadLetterHeaders, type Headers } from './message.js';
import { backoffDelay, sleep } from './retry.js';
import type { BackoffOptions, MessageHandler, SubscriptionStats } from './stream.js';

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
  /** Publishes a message that failed every attempt; must throw if it could not (it is retried, never skipped). */
  deadLetter: (message: ConsumedMessage, error: unknown, attempts: number) => Promise<void>;
  /** Writes a checkpoint covering `message` and everything before it in this partition. */
  commit: (message: ConsumedMessage) => Promise<void>;
  /** Shortest time between two checkpoint writes, in ms; the last one is always written on stop. @default 500 */
  commitIntervalMs?: number;
  /** Counters shared with the subscription. */
  stats: SubscriptionStats;
  /** Recoverable errors (dead-letter publish or commit failures being retried). */
  onError?: (error: unknown) => void;
}

interface Slot {
  message: ConsumedMessage;
  done: boolean;
  running: boolean;
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
 * Processes one partition's messages in position order.
 *
 * Enqueue fetched messages with {@link PartitionProcessor.enqueue}; respect {@link PartitionProcessor.buffered}
 * (or await {@link PartitionProcessor.waitForSpace}) for backpressure; call {@link PartitionProcessor.stop} on
 * revoke or close: in-flight handlers finish, nothing new starts, and the contiguous prefix is committed.
 */
export class PartitionProcessor {
  private readonly slots: Slot[] = [];
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly commitIntervalMs: number;
  private readonly abort = new AbortController();
  private inFlight = 0;
  private lastCommitted: ConsumedMessage | undefined;
  private commitTimer: NodeJS.Timeout | undefined;
  private committing: Promise<void> = Promise.resolve();
  private stopped = false;
  private idleWaiters: Array<() => void> = [];
  private spaceWaiters: Array<{ limit: number; resolve: () => void }> = [];
  private readonly runningKeys = new Set<string>();

  constructor(private readonly options: PartitionProcessorOptions) {
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.commitIntervalMs = options.commitIntervalMs ?? 500;
  }

  /** Messages enqueued and not yet finished. */
  get buffered(): number {
    return this.slots.length;
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
    for (const message of messages) this.slots.push({ message, done: false, running: false });
    this.pump();
  }

  /** Resolves when fewer than `limit` messages are buffered (or the processor stops). */
  waitForSpace(limit: number): Promise<void> {
    if (this.slots.length < limit || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.spaceWaiters.push({ limit, resolve }));
  }

  /** Resolves when everything enqueued so far is finished and committed. */
  async idle(): Promise<void> {
    if (this.slots.length > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
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
    }
    while (this.inFlight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.flushCommit();
  }

  private pump(): void {
    if (this.stopped) return;
    for (const slot of this.slots) {
      if (this.inFlight >= this.concurrency) break;
      if (slot.done || slot.running) continue;
      if (this.concurrency > 1) {
        const key = slot.message.key;
        if (key !== null && this.runningKeys.has(key)) continue;
        // keep per-key order: an earlier unfinished message of the same key must go first
        if (key !== null && this.hasEarlierPending(slot, key)) continue;
      }
      this.start(slot);
      if (this.concurrency === 1) break;
    }
  }

  private hasEarlierPending(slot: Slot, key: string): boolean {
    for (const s of this.slots) {
      if (s === slot) return false;
      if (!s.done && s.message.key === key) return true;
    }
    return false;
  }

  private start(slot: Slot): void {
    slot.running = true;
    this.inFlight++;
    if (slot.message.key !== null) this.runningKeys.add(slot.message.key);
    void this.handle(slot.message).then(
      (finished) => this.finish(slot, finished),
      (e) => {
        this.options.onError?.(e);
        this.finish(slot, false);
      },
    );
  }

  private finish(slot: Slot, finished: boolean): void {
    slot.running = false;
    slot.done = finished;
    this.inFlight--;
    if (slot.message.key !== null) this.runningKeys.delete(slot.message.key);
    if (finished) this.advance();
    if (this.inFlight === 0 && (this.stopped || this.slots.length === 0)) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
    this.pump();
  }

  /** Drops the finished prefix and schedules a checkpoint for its last message. */
  private advance(): void {
    let last: ConsumedMessage | undefined;
    while (this.slots.length > 0 && this.slots[0]?.done) last = this.slots.shift()?.message;
    if (!last) return;
    this.pendingCommit = last;
    for (let i = this.spaceWaiters.length - 1; i >= 0; i--) {
      const w = this.spaceWaiters[i];
      if (w && this.slots.length < w.limit) {
        this.spaceWaiters.splice(i, 1);
        w.resolve();
      }
    }
    if (this.slots.length === 0 || this.commitIntervalMs <= 0) {
      void this.flushCommit();
    } else if (!this.commitTimer) {
      this.commitTimer = setTimeout(() => {
        this.commitTimer = undefined;
        void this.flushCommit();
      }, this.commitIntervalMs);
    }
  }

  private pendingCommit: ConsumedMessage | undefined;

  /** Writes the pending checkpoint now (serialised with earlier writes). */
  flushCommit(): Promise<void> {
    if (this.commitTimer) {
      clearTimeout(this.commitTimer);
      this.commitTimer = undefined;
    }
    this.committing = this.committing.then(async () => {
      const target = this.pendingCommit;
      if (!target || target === this.lastCommitted) return;
      try {
        await this.options.commit(target);
        this.lastCommitted = target;
        this.options.stats.commits++;
      } catch (e) {
        // A failed checkpoint only means more redelivery later; the next flush tries again.
        this.options.onError?.(e);
      }
    });
    return this.committing;
  }

  /** Runs the handler with retries; dead-letters after the last attempt. Returns false if stopped first. */
  private async handle(message: ConsumedMessage): Promise<boolean> {
    const { handler, stats } = this.options;
    let lastError: unknown;
    const firstAttempt = message.deliveryAttempt || 1;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (this.stopped && attempt > 1) return false;
      try {
        await handler({ ...message, deliveryAttempt: firstAttempt + attempt - 1 });
        stats.handled++;
        return true;
      } catch (e) {
        lastError = e;
        stats.failures++;
        if (attempt < this.maxAttempts) {
          await sleep(backoffDelay(attempt, this.options.backoff ?? {}), this.abort.signal);
          if (this.stopped) return false;
        }
      }
    }
    // Every attempt failed: publish to the dead-letter topic; never skip without it.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.deadLetter(message, lastError, this.maxAttempts);
        stats.deadLettered++;
        return true;
      } catch (e) {
        this.options.onError?.(e);
        if (this.stopped) return false;
        await sleep(backoffDelay(attempt, { initialMs: 100, maxMs: 5000 }), this.abort.signal);
        if (this.stopped) return false;
      }
    }
  }
}

/** Fresh zeroed counters. */
export function newStats(): SubscriptionStats {
  return { handled: 0, failures: 0, deadLettered: 0, commits: 0 };
}
