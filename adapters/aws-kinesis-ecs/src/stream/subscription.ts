/**
 * A consumer-group member on Kinesis: shard leases in DynamoDB (see `leases.ts`), one fetch loop per held
 * shard feeding core's `PartitionProcessor` (which owns retries, dead-lettering, contiguous checkpoints,
 * per-key order and backpressure), parents read to SHARD_END before their children start.
 *
 * @packageDocumentation
 */

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  type _Record,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import {
  backoffDelay,
  type ConsumedMessage,
  type DeadLetterSend,
  DeadLetterSink,
  ensureTopicByDescribe,
  type Logger,
  type MessageHandler,
  NotFoundError,
  newStats,
  PartitionProcessor,
  type Producer,
  type RetryOptions,
  type SpeedlayerError,
  type StreamAdmin,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionStats,
  sleep,
} from '@speedlayer/core';
import { type Observations, observe, planBalance } from './balance.js';
import type { KinesisConfig } from './config.js';
import { decodeEnvelope } from './envelope.js';
import { awsErrorName, classifyAwsError, TARGET } from './errors.js';
import { compareSequence, shardIndex } from './hash.js';
import { type Lease, type LeaseTable, Sentinel } from './leases.js';
import { listShards, type ShardInfo, streamSummary } from './shards.js';

/** What a subscription needs from its client. */
export interface SubscriptionHost {
  readonly kinesis: KinesisClient;
  readonly config: KinesisConfig;
  readonly logger: Logger;
  readonly admin: StreamAdmin;
  producer(): Producer;
}

interface Held {
  shardId: string;
  partition: number;
  counter: number;
  /** `waiting`: stolen, the old owner is still draining; `running`: fetching. */
  state: 'waiting' | 'running';
  since: number;
  processor: PartitionProcessor | undefined;
  loop: Promise<void> | undefined;
  stop: AbortController;
  lock: Promise<unknown>;
}

function isSequence(checkpoint: string): boolean {
  return /^\d+$/.test(checkpoint);
}

/** Backoff of a shard's failing reads and iterator requests (full jitter; the cap bounds the error rate). */
const READ_BACKOFF_MAX_MS = 5000;

/** Shortest time between two reports of the same error (the first backoff steps of fast polls are shorter). */
const MIN_REPORT_WINDOW_MS = 1000;

/**
 * How often the terminal error of a subscription whose stream was deleted is reported again: below the worker's
 * `unreadyAfterMs` (30 s by default), so a supervisor keeps seeing a consumer that cannot consume and its
 * `failAfterMs` restarts it, without the noise of one report per shard per poll.
 */
export const GONE_REPORT_INTERVAL_MS = 10_000;

/** An error's identity for de-duplicated reports: its kind and text, shard ids aside. */
function errorKey(e: SpeedlayerError): string {
  return `${e.kind}|${e.message.replace(/shardId-\d+/g, 'shardId-*')}`;
}

/** A running member of a group. */
export class KinesisSubscription implements Subscription {
  /** This member's lease owner id. */
  readonly memberId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly held = new Map<string, Held>();
  private readonly statsData: SubscriptionStats = newStats();
  private readonly failoverMs: number;
  private readonly renewMs: number;
  private readonly closing = new AbortController();
  private readonly seen: Observations = new Map();
  private shards: ShardInfo[] = [];
  private shardsAt = 0;
  private syncRequested = true;
  private loop: Promise<void> | undefined;
  private closed: Promise<void> | undefined;
  private dlq: DeadLetterSink | undefined;
  private lastAssignment = '';
  /** Set once the stream is found deleted: the typed terminal error; nothing is read any more. */
  private gone: NotFoundError | undefined;
  private goneReportedAt = 0;
  /** The stream check in progress (one at a time, whatever number of shard loops hit not-found). */
  private goneCheck: Promise<boolean> | undefined;
  /** When each distinct error was last reported, and the quiet window that follows it. */
  private readonly reported = new Map<string, { at: number; windowMs: number }>();
  /** Shards stopped and leases released after the stream was found deleted. */
  private terminated: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly host: SubscriptionHost,
    private readonly table: LeaseTable,
    private readonly options: SubscribeOptions,
    private readonly handler: MessageHandler,
    private readonly onClose: () => void,
  ) {
    this.failoverMs = options.sessionTimeoutMs ?? host.config.failoverTimeMs;
    this.renewMs = Math.max(50, Math.floor(this.failoverMs / 3));
  }

  assignments(): number[] {
    if (this.gone) return [];
    return [...this.held.values()]
      .filter((h) => h.state === 'running')
      .map((h) => h.partition)
      .sort((a, b) => a - b);
  }

  stats(): SubscriptionStats {
    return { ...this.statsData };
  }

  /** First round (shard sync and lease taking), then the renew/balance loop. */
  async start(): Promise<void> {
    await this.round();
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.closing.signal.aborted) {
      if (this.gone) {
        // terminal: said again now and then for supervisors; nothing else runs
        const wait = this.goneReportedAt + GONE_REPORT_INTERVAL_MS - Date.now();
        if (wait > 0) {
          await sleep(wait, this.closing.signal);
        } else {
          this.goneReportedAt = Date.now();
          this.report(this.gone);
        }
        continue;
      }
      await sleep(this.renewMs, this.closing.signal);
      if (this.closing.signal.aborted || this.gone) continue;
      try {
        await this.round();
        failures = 0;
      } catch (e) {
        const err = classifyAwsError(e, `group ${this.options.group} on stream "${this.options.topic}"`);
        if (err.kind === 'not-found' && (await this.streamGone(err))) continue;
        this.reportDistinct(err, Math.max(this.renewMs, backoffDelay(++failures, { initialMs: this.renewMs, jitter: false })));
      }
    }
  }

  private report(e: unknown): void {
    if (this.options.onError) this.options.onError(e);
    else this.host.logger.warn('kinesis subscription error', { error: String((e as Error)?.message ?? e) });
  }

  /**
   * Reports `e` unless the same error (kind and text, shard ids aside) was reported within the window set then:
   * every shard loop of a member failing the same way (an outage, throttling) reports once per backoff step.
   */
  private reportDistinct(e: SpeedlayerError, windowMs: number): void {
    const key = errorKey(e);
    const now = Date.now();
    const last = this.reported.get(key);
    if (last && now - last.at < last.windowMs) return;
    // the window only grows while the error keeps coming (loops at earlier steps must not shorten it)
    const recent = last !== undefined && now - last.at < 2 * last.windowMs;
    this.reported.set(key, { at: now, windowMs: recent ? Math.max(windowMs, last.windowMs) : windowMs });
    if (this.reported.size > 64) this.reported.delete(this.reported.keys().next().value as string);
    this.report(e);
  }

  /** Delay before retry `attempt` of a shard read, with full jitter, and the quiet window of its report. */
  private readBackoff(attempt: number): { delayMs: number; windowMs: number } {
    const options: RetryOptions = { initialMs: this.host.config.pollIntervalMs, maxMs: READ_BACKOFF_MAX_MS };
    const windowMs = Math.max(MIN_REPORT_WINDOW_MS, backoffDelay(attempt, { ...options, jitter: false }));
    return { delayMs: backoffDelay(attempt, options), windowMs };
  }

  /**
   * After a not-found: asks Kinesis whether the stream itself is gone (deleted or being deleted); one request at a
   * time for all shard loops. When it is, the subscription ends ({@link terminate}) and this returns true.
   */
  private streamGone(cause: SpeedlayerError): Promise<boolean> {
    if (this.gone) return Promise.resolve(true);
    this.goneCheck ??= (async () => {
      let gone = false;
      try {
        gone = (await streamSummary(this.host.kinesis, this.options.topic)).status === 'DELETING';
      } catch (e) {
        gone = classifyAwsError(e, 'DescribeStreamSummary').kind === 'not-found';
      } finally {
        this.goneCheck = undefined;
      }
      if (gone && !this.closing.signal.aborted) this.terminate(cause);
      return gone;
    })();
    return this.goneCheck;
  }

  /**
   * The stream was deleted under the subscription: stops every shard (checkpoints so far are written), releases
   * the leases and reports one typed, non-retriable {@link NotFoundError} naming the stream and group; from then on
   * nothing is read and `assignments()` is empty until `close()`.
   */
  private terminate(cause: SpeedlayerError): void {
    if (this.gone) return;
    const { topic, group } = this.options;
    this.gone = new NotFoundError(
      `stream "${topic}" was deleted while group "${group}" was reading it: the subscription stopped (nothing more is read or checkpointed); close it, and subscribe again once the stream exists`,
      { field: 'topic', target: TARGET, cause, retriable: false },
    );
    const held = [...this.held.values()];
    this.held.clear();
    for (const h of held) h.stop.abort();
    this.goneReportedAt = Date.now();
    this.report(this.gone);
    this.notifyAssignment();
    this.terminated = Promise.all(
      held.map(async (h) => {
        await h.processor?.stop().catch(() => {});
        await h.loop;
        await this.withLock(h, () => this.table.release(h.shardId, this.memberId, h.counter)).catch(() => {});
      }),
    );
  }

  private withLock<T>(h: Held, fn: () => Promise<T>): Promise<T> {
    const run = h.lock.then(fn);
    h.lock = run.catch(() => {});
    return run;
  }

  private notifyAssignment(): void {
    const now = this.assignments().join(',');
    if (now === this.lastAssignment) return;
    this.lastAssignment = now;
    this.options.onAssignment?.(this.assignments());
  }

  /** One round: renew, sync shards when due, scan, take or steal. */
  private async round(): Promise<void> {
    const { table } = this;
    await Promise.all(
      [...this.held.values()].map(async (h) => {
        const lease = await this.withLock(h, () => table.renew(h.shardId, this.memberId, h.counter));
        if (lease) {
          h.counter = lease.leaseCounter;
          if (h.state === 'waiting' && (lease.checkpointOwner === undefined || Date.now() - h.since > this.failoverMs)) {
            this.startShard(h, lease);
          }
          return;
        }
        if (this.held.get(h.shardId) !== h) return; // finished meanwhile
        this.held.delete(h.shardId);
        const now = await table.get(h.shardId).catch(() => undefined);
        if (now?.checkpointOwner === this.memberId) void this.handOver(h);
        else void this.abandon(h);
      }),
    );
    if (this.closing.signal.aborted) return;
    const now = Date.now();
    if (this.syncRequested || now - this.shardsAt >= this.host.config.shardSyncIntervalMs) await this.syncShards();
    const leases = await table.list();
    observe(this.seen, leases, Date.now());
    const plan = planBalance(
      leases,
      this.memberId,
      this.seen,
      Date.now(),
      this.failoverMs,
      new Set(this.shards.map((s) => s.shardId)),
    );
    for (const l of plan.take) {
      if (this.closing.signal.aborted || this.gone) break;
      const got = await table.take(l.leaseKey, this.memberId, l.leaseCounter);
      if (!got) continue;
      const h = this.newHeld(got, 'running');
      this.held.set(got.leaseKey, h);
      this.startShard(h, got);
    }
    if (plan.steal && !this.closing.signal.aborted && !this.gone) {
      const { lease, victim } = plan.steal;
      const got = await table.steal(lease.leaseKey, this.memberId, victim, lease.leaseCounter);
      if (got) this.held.set(got.leaseKey, this.newHeld(got, 'waiting'));
    }
    this.notifyAssignment();
  }

  private newHeld(lease: Lease, state: Held['state']): Held {
    return {
      shardId: lease.leaseKey,
      partition: shardIndex(lease.leaseKey),
      counter: lease.leaseCounter,
      state,
      since: Date.now(),
      processor: undefined,
      loop: undefined,
      stop: new AbortController(),
      lock: Promise.resolve(),
    };
  }

  /** Lists shards and writes a lease for every shard that has none. */
  private async syncShards(): Promise<void> {
    this.syncRequested = false;
    const shards = await listShards(this.host.kinesis, this.options.topic);
    this.shards = shards;
    this.shardsAt = Date.now();
    const existing = await this.table.list();
    const have = new Set(existing.map((l) => l.leaseKey));
    const initial = existing.length === 0;
    const start = this.options.startFrom ?? 'earliest';
    const pinned = Date.now();
    for (const s of shards) {
      if (have.has(s.shardId)) continue;
      let checkpoint: string = Sentinel.trimHorizon;
      let timestamp: number | undefined;
      // Only the first leases of a group follow startFrom; shards created later (resharding) start at their
      // beginning so that nothing written to them is skipped. "latest" is pinned to a time, so that a member
      // that takes the lease over later starts at the same place.
      if (initial && start === 'latest') {
        checkpoint = Sentinel.atTimestamp;
        timestamp = pinned;
      } else if (initial && typeof start === 'object') {
        checkpoint = Sentinel.atTimestamp;
        timestamp = start.timestamp;
      }
      await this.table.create(
        s.shardId,
        checkpoint,
        s.parents,
        [s.startingHashKey.toString(), s.endingHashKey.toString()],
        timestamp,
      );
    }
  }

  private startShard(h: Held, lease: Lease): void {
    if (h.processor || this.gone) return;
    h.state = 'running';
    const { topic, group } = this.options;
    const processor = new PartitionProcessor({
      topic,
      group,
      partition: h.partition,
      handler: this.handler,
      ...(this.options.maxAttempts !== undefined ? { maxAttempts: this.options.maxAttempts } : {}),
      ...(this.options.retryBackoff !== undefined ? { backoff: this.options.retryBackoff } : {}),
      ...(this.options.concurrency !== undefined ? { concurrency: this.options.concurrency } : {}),
      commitIntervalMs: this.host.config.commitIntervalMs,
      stats: this.statsData,
      deadLetter: (m, err, attempts, send) => this.deadLetter(m, err, attempts, send),
      commit: (m) => this.withLock(h, () => this.table.checkpoint(h.shardId, this.memberId, h.counter, m.position)),
      onError: (e) => this.report(e),
    });
    h.processor = processor;
    h.loop = this.fetchLoop(h, lease, processor).catch((e) => this.report(e));
  }

  private iteratorInput(shardId: string, lease: Lease, after: string | undefined): GetShardIteratorCommandInput {
    const base = { StreamName: this.options.topic, ShardId: shardId };
    if (after !== undefined) return { ...base, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: after };
    if (lease.checkpoint === Sentinel.latest) return { ...base, ShardIteratorType: 'LATEST' };
    if (lease.checkpoint === Sentinel.atTimestamp) {
      return { ...base, ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(lease.timestamp ?? Date.now()) };
    }
    return { ...base, ShardIteratorType: 'TRIM_HORIZON' };
  }

  private async getIterator(h: Held, lease: Lease, after: string | undefined): Promise<string | undefined> {
    for (let attempt = 1; !h.stop.signal.aborted; attempt++) {
      try {
        const res = await this.host.kinesis.send(new GetShardIteratorCommand(this.iteratorInput(h.shardId, lease, after)));
        return res.ShardIterator;
      } catch (e) {
        if (h.stop.signal.aborted) break;
        const err = classifyAwsError(e, `GetShardIterator of ${h.shardId}`);
        if (err.kind === 'not-found' && (await this.streamGone(err))) break;
        const { delayMs, windowMs } = this.readBackoff(attempt);
        this.reportDistinct(err, windowMs);
        await sleep(delayMs, h.stop.signal);
      }
    }
    return undefined;
  }

  /** True when a closed shard has been read to its end (the fallback for servers that keep returning iterators). */
  private drained(shardId: string, last: string | undefined): boolean {
    const s = this.shards.find((x) => x.shardId === shardId);
    if (!s || s.endingSequenceNumber === undefined) return false;
    if (last !== undefined) return compareSequence(last, s.endingSequenceNumber) >= 0;
    return compareSequence(s.endingSequenceNumber, s.startingSequenceNumber) <= 0;
  }

  private async fetchLoop(h: Held, lease: Lease, processor: PartitionProcessor): Promise<void> {
    const signal = h.stop.signal;
    const { config } = this.host;
    const maxBuffered = this.options.maxBufferedPerPartition ?? 1000;
    let last = isSequence(lease.checkpoint) ? lease.checkpoint : undefined;
    let iterator = await this.getIterator(h, lease, last);
    let ended = false;
    let failures = 0;
    // byte-bounded read-ahead: records held ≈ buffered × average record size (learned from the first, small call)
    let recordBytes = 0;
    let recordCount = 0;
    const countLimit = () =>
      recordCount === 0
        ? Math.min(maxBuffered, 10)
        : Math.min(maxBuffered, Math.max(1, Math.floor(config.maxBufferedBytesPerShard / (recordBytes / recordCount))));
    while (!signal.aborted && iterator) {
      await processor.waitForSpace(countLimit());
      if (signal.aborted) break;
      let res: GetRecordsCommandOutput;
      try {
        res = await this.host.kinesis.send(
          new GetRecordsCommand({
            ShardIterator: iterator,
            Limit: Math.max(1, Math.min(config.getRecordsLimit, countLimit() - processor.buffered)),
          }),
        );
        failures = 0;
      } catch (e) {
        if (signal.aborted) break;
        if (awsErrorName(e) === 'ExpiredIteratorException') {
          iterator = await this.getIterator(h, lease, last);
          continue;
        }
        const err = classifyAwsError(e, `GetRecords on ${h.shardId}`);
        if (err.kind === 'not-found' && (await this.streamGone(err))) break;
        const { delayMs, windowMs } = this.readBackoff(++failures);
        this.reportDistinct(err, windowMs);
        await sleep(delayMs, signal);
        continue;
      }
      const records = res.Records ?? [];
      if (records.length > 0) {
        for (const r of records) recordBytes += (r.Data?.byteLength ?? 0) + (r.PartitionKey?.length ?? 0);
        recordCount += records.length;
        processor.enqueue(records.map((r) => this.toMessage(h, r)));
        last = records[records.length - 1]?.SequenceNumber ?? last;
      }
      if (!res.NextShardIterator) {
        ended = true;
        break;
      }
      iterator = res.NextShardIterator;
      if (records.length === 0) {
        if (this.drained(h.shardId, last)) {
          ended = true;
          break;
        }
        await sleep(config.pollIntervalMs, signal);
      } else if (res.MillisBehindLatest === 0) {
        await sleep(config.pollIntervalMs, signal);
      }
    }
    if (ended && !signal.aborted) await this.finishShard(h, processor);
  }

  /** A parent shard read to its end: wait until everything is handled and committed, then write SHARD_END. */
  private async finishShard(h: Held, processor: PartitionProcessor): Promise<void> {
    const aborted = new Promise<void>((r) => h.stop.signal.addEventListener('abort', () => r(), { once: true }));
    await Promise.race([processor.idle(), aborted]);
    await processor.stop();
    if (h.stop.signal.aborted || this.held.get(h.shardId) !== h) return;
    const ok = await this.withLock(h, () => this.table.shardEnd(h.shardId, this.memberId, h.counter));
    if (this.held.get(h.shardId) === h) this.held.delete(h.shardId);
    if (!ok) this.host.logger.info('shard end not written: lease lost first', { shard: h.shardId });
    this.syncRequested = true;
    this.notifyAssignment();
  }

  private toMessage(h: Held, r: _Record): ConsumedMessage {
    const data = r.Data ?? new Uint8Array(0);
    const { value, meta } = this.host.config.headers === 'raw' ? { value: data, meta: {} } : decodeEnvelope(data);
    return {
      topic: this.options.topic,
      partition: h.partition,
      position: r.SequenceNumber ?? '',
      key: meta.noKey ? null : (r.PartitionKey ?? null),
      value,
      headers: meta.headers ?? {},
      timestamp: meta.timestamp ?? r.ApproximateArrivalTimestamp?.getTime() ?? Date.now(),
      deliveryAttempt: 1,
    };
  }

  /** Hand-over to a member that asked for the lease: drain, write the last checkpoint, clear checkpointOwner. */
  private async handOver(h: Held): Promise<void> {
    try {
      h.stop.abort();
      await h.processor?.stop();
      await h.loop;
      await this.table.finishHandover(h.shardId, this.memberId);
    } catch (e) {
      this.report(e);
    }
    this.notifyAssignment();
  }

  /** The lease was taken from us (we were too slow to renew): stop at once; checkpoints are fenced. */
  private async abandon(h: Held): Promise<void> {
    this.host.logger.warn('kinesis lease lost', { shard: h.shardId, member: this.memberId });
    h.stop.abort();
    await h.processor?.stop().catch(() => {});
    await h.loop;
    this.notifyAssignment();
  }

  private async deadLetter(m: ConsumedMessage, error: unknown, attempts: number, send?: DeadLetterSend): Promise<void> {
    this.dlq ??= new DeadLetterSink({
      topic: this.options.topic,
      group: this.options.group,
      deadLetterTopic: this.options.deadLetterTopic,
      ensureTopic: (dlq) => ensureTopicByDescribe(this.host.admin, dlq),
      producer: () => this.host.producer(),
    });
    await this.dlq.publish(m, error, attempts, send);
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing.abort();
      await this.loop;
      await this.terminated;
      await Promise.all(
        [...this.held.values()].map(async (h) => {
          h.stop.abort();
          try {
            await h.processor?.stop();
            await h.loop;
            await this.withLock(h, () => this.table.release(h.shardId, this.memberId, h.counter));
          } catch (e) {
            this.report(e);
          }
        }),
      );
      this.held.clear();
      await this.dlq?.close();
      this.onClose();
    })();
    return this.closed;
  }
}
