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
  DeadLetterSink,
  ensureTopicByDescribe,
  type Logger,
  type MessageHandler,
  newStats,
  PartitionProcessor,
  type Producer,
  type StreamAdmin,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionStats,
  sleep,
} from '@speedlayer/core';
import { type Observations, observe, planBalance } from './balance.js';
import type { KinesisConfig } from './config.js';
import { decodeEnvelope } from './envelope.js';
import { awsErrorName, classifyAwsError } from './errors.js';
import { compareSequence, shardIndex } from './hash.js';
import { type Lease, type LeaseTable, Sentinel } from './leases.js';
import { listShards, type ShardInfo } from './shards.js';

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
    while (!this.closing.signal.aborted) {
      await sleep(this.renewMs, this.closing.signal);
      if (this.closing.signal.aborted) break;
      try {
        await this.round();
      } catch (e) {
        this.report(e);
      }
    }
  }

  private report(e: unknown): void {
    if (this.options.onError) this.options.onError(e);
    else this.host.logger.warn('kinesis subscription error', { error: String((e as Error)?.message ?? e) });
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
      if (this.closing.signal.aborted) break;
      const got = await table.take(l.leaseKey, this.memberId, l.leaseCounter);
      if (!got) continue;
      const h = this.newHeld(got, 'running');
      this.held.set(got.leaseKey, h);
      this.startShard(h, got);
    }
    if (plan.steal && !this.closing.signal.aborted) {
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
    if (h.processor) return;
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
      deadLetter: (m, err, attempts) => this.deadLetter(m, err, attempts),
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
        this.report(classifyAwsError(e, `GetShardIterator of ${h.shardId}`));
        await sleep(backoffDelay(attempt, { initialMs: 100, maxMs: 5000 }), h.stop.signal);
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
        failures++;
        this.report(classifyAwsError(e, `GetRecords on ${h.shardId}`));
        await sleep(backoffDelay(failures, { initialMs: config.pollIntervalMs, maxMs: 5000 }), signal);
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

  private async deadLetter(m: ConsumedMessage, error: unknown, attempts: number): Promise<void> {
    this.dlq ??= new DeadLetterSink({
      topic: this.options.topic,
      group: this.options.group,
      deadLetterTopic: this.options.deadLetterTopic,
      ensureTopic: (dlq) => ensureTopicByDescribe(this.host.admin, dlq),
      producer: () => this.host.producer(),
    });
    await this.dlq.publish(m, error, attempts);
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing.abort();
      await this.loop;
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
