/**
 * Consumer lag on Pub/Sub: an exact count of a group's unacked backlog that leaves the group's subscription alone.
 *
 * Pub/Sub's API has no backlog count (Google Cloud publishes one only as the Cloud Monitoring metrics
 * `subscription/num_undelivered_messages` and `subscription/oldest_unacked_message_age`, sampled every 60 s, which no
 * emulator serves). So a reading copies the group's ack state and counts the copy:
 *
 * 1. `CreateSnapshot` of the group's subscription: it retains the messages unacked when it completes (and what is
 *    published after it);
 * 2. a temporary subscription on the same topic, *without* message ordering (so every message is deliverable at once,
 *    not one per ordering key), with a one-day expiration policy as a backstop;
 * 3. `Seek` of the temporary subscription to the snapshot;
 * 4. synchronous `Pull`s until two in a row return nothing, counting distinct message ids and keeping the oldest
 *    `publishTime`; messages are never acked (the subscription is deleted instead);
 * 5. both resources deleted, also when a step fails. Their names start with {@link LAG_RESOURCE_PREFIX} and they carry
 *    the label `speedlayer-lag`, so a leftover (a killed process) is recognisable.
 *
 * The group's own subscription is never pulled, so delivery attempts, dead-lettering and leases are untouched.
 * The count is bounded by `lagScanMaxMessages` and `lagScanTimeoutMs`; past either, the reading is marked
 * `truncated` (a lower bound). Readings are cached for `lagCacheMs` and concurrent readers share one scan, so a
 * `/metrics` scrape does not create a snapshot every time.
 *
 * Cost: each reading delivers the whole backlog once more (Pub/Sub bills it as subscribe throughput) and needs
 * `pubsub.snapshots.create`, `pubsub.snapshots.seek`, `pubsub.snapshots.delete`, `pubsub.subscriptions.create`,
 * `pubsub.subscriptions.delete`, `pubsub.subscriptions.consume` and `pubsub.topics.attachSubscription`
 * (roles/pubsub.editor has them; roles/pubsub.subscriber does not).
 *
 * Emulators: pstest (v2.7.0) implements neither `CreateSnapshot` nor `Seek` to a snapshot, so there the reading fails
 * with `UnsupportedError` before anything is created.
 *
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import type { PubSub } from '@google-cloud/pubsub';
import { type Logger, NotFoundError, type PartitionLag, UnsupportedError } from '@speedlayer/core';
import { PUBSUB_TARGET } from './config.js';
import { classifyPubsubError, durationSeconds, grpcCode, subscriptionName, validatePubsubTopic } from './mapping.js';

/** Names of the snapshots and temporary subscriptions a lag reading creates start with this. */
export const LAG_RESOURCE_PREFIX = 'speedlayer-lag-';
/** Label set on those resources (value: `scan`). */
export const LAG_RESOURCE_LABEL = 'speedlayer-lag';

const NOT_FOUND = 5;
const DEADLINE_EXCEEDED = 4;
const UNIMPLEMENTED = 12;
/** Messages asked for per Pull. */
const PULL_BATCH = 1000;
/** Longest wait of one Pull for messages, ms. */
const PULL_WAIT_MS = 2000;
/** Consecutive empty Pulls that end a scan. */
const EMPTY_PULLS_TO_STOP = 2;

/** Bounds of a lag reading (config `lagScanMaxMessages`, `lagScanTimeoutMs`, `lagCacheMs`). */
export interface PubsubLagOptions {
  /** Most messages one reading counts; more is reported as `truncated`. */
  maxMessages: number;
  /** Longest time one reading pulls, ms; a longer backlog is reported as `truncated`. */
  timeoutMs: number;
  /** How long a finished reading is reused, ms (0: only concurrent readers share a scan). */
  cacheMs: number;
}

/** What a scan of one subscription found. */
export interface BacklogCount {
  /** Distinct messages pulled. */
  messages: number;
  /** `publishTime` of the oldest of them, epoch ms. */
  oldestPublishMs: number | undefined;
  /** True when the scan stopped at `maxMessages` or at its deadline: `messages` is then a lower bound. */
  truncated: boolean;
}

interface PulledMessage {
  message?: { messageId?: string | null; publishTime?: { seconds?: unknown; nanos?: number | null } | null } | null;
}

function call<T>(pubsub: PubSub, method: string, reqOpts: object, timeoutMs?: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    pubsub.request<T>(
      {
        client: 'SubscriberClient',
        method,
        reqOpts,
        ...(timeoutMs !== undefined ? { gaxOpts: { timeout: timeoutMs, retry: null } } : {}),
      },
      (err, res) => (err ? reject(err) : resolve(res as T)),
    );
  });
}

/**
 * Pulls a subscription until two Pulls in a row return nothing, without acking, and counts what arrived: distinct
 * message ids and the oldest publish time. Stops early (`truncated`) at `maxMessages` or `deadline` (epoch ms).
 * Only for subscriptions nobody else reads: pulled messages stay leased until their ack deadline.
 */
export async function scanSubscription(
  pubsub: PubSub,
  subscription: string,
  limits: { maxMessages: number; deadline: number },
): Promise<BacklogCount> {
  const seen = new Set<string>();
  let oldest: number | undefined;
  let empty = 0;
  while (empty < EMPTY_PULLS_TO_STOP) {
    const remaining = limits.deadline - Date.now();
    if (seen.size >= limits.maxMessages || remaining <= 0) {
      return { messages: Math.min(seen.size, limits.maxMessages), oldestPublishMs: oldest, truncated: true };
    }
    let received: PulledMessage[];
    try {
      const res = await call<{ receivedMessages?: PulledMessage[] | null }>(
        pubsub,
        'pull',
        { subscription, maxMessages: Math.min(PULL_BATCH, limits.maxMessages - seen.size), returnImmediately: false },
        Math.max(100, Math.min(PULL_WAIT_MS, remaining)),
      );
      received = res?.receivedMessages ?? [];
    } catch (e) {
      if (grpcCode(e) !== DEADLINE_EXCEEDED) throw e;
      received = []; // a Pull that waited its whole time found nothing
    }
    let fresh = 0;
    for (const r of received) {
      const id = r.message?.messageId;
      if (!id || seen.has(id)) continue;
      seen.add(id);
      fresh++;
      const seconds = durationSeconds(r.message?.publishTime);
      const at = seconds === undefined ? undefined : Math.round(seconds * 1000);
      if (at !== undefined && (oldest === undefined || at < oldest)) oldest = at;
    }
    empty = fresh === 0 ? empty + 1 : 0;
  }
  return { messages: seen.size, oldestPublishMs: oldest, truncated: false };
}

/**
 * Reads the lag of groups on one Pub/Sub client: one snapshot scan per reading, shared by concurrent callers and
 * reused for `cacheMs`.
 */
export class PubsubLagReader {
  private readonly readings = new Map<string, { result: Promise<BacklogCount>; doneAt?: number }>();
  private unsupported: UnsupportedError | undefined;
  /** A refused CreateSnapshot (missing permissions), repeated for `cacheMs` rather than asked again on every scrape. */
  private refused: { error: Error; at: number } | undefined;

  constructor(
    private readonly pubsub: PubSub,
    private readonly options: PubsubLagOptions,
    private readonly logger: Logger,
    private readonly emulator: boolean,
  ) {}

  /**
   * The lag of `group` on `topic` (its subscription `<topic>.<group>`), as the one virtual partition 0.
   * @throws `UnsupportedError` when the endpoint has no snapshots (pstest).
   * @throws `NotFoundError` (field `topic`) when the topic is missing, (field `group`) when the group has no
   *   subscription on it.
   */
  async lag(topic: string, group: string): Promise<PartitionLag[]> {
    validatePubsubTopic(topic);
    const subscription = subscriptionName(topic, group);
    if (this.unsupported) throw this.unsupported;
    if (this.refused && Date.now() - this.refused.at < this.options.cacheMs) throw this.refused.error;
    const key = `${topic}\u0000${subscription}`;
    let entry = this.readings.get(key);
    if (entry?.doneAt !== undefined && Date.now() - entry.doneAt >= this.options.cacheMs) entry = undefined;
    if (!entry) {
      const fresh: { result: Promise<BacklogCount>; doneAt?: number } = { result: this.read(topic, group, subscription) };
      entry = fresh;
      this.readings.set(key, fresh);
      fresh.result.then(
        () => {
          fresh.doneAt = Date.now();
          if (this.options.cacheMs <= 0 && this.readings.get(key) === fresh) this.readings.delete(key);
        },
        () => {
          if (this.readings.get(key) === fresh) this.readings.delete(key);
        },
      );
    }
    const count = await entry.result;
    const ageSeconds =
      count.messages > 0 && count.oldestPublishMs !== undefined ? Math.max(0, (Date.now() - count.oldestPublishMs) / 1000) : 0;
    return [{ partition: 0, lag: count.messages, ageSeconds, ...(count.truncated ? { truncated: true } : {}) }];
  }

  private async read(topic: string, group: string, subscription: string): Promise<BacklogCount> {
    const started = Date.now();
    const name = `${LAG_RESOURCE_PREFIX}${started.toString(36)}-${randomBytes(4).toString('hex')}`;
    const snapshot = this.pubsub.snapshot(name).name;
    const temp = this.pubsub.subscription(name).name;
    const source = this.pubsub.subscription(subscription).name;
    const labels = { [LAG_RESOURCE_LABEL]: 'scan' };
    try {
      await call(this.pubsub, 'createSnapshot', { name: snapshot, subscription: source, labels });
    } catch (e) {
      throw await this.snapshotError(e, topic, group, subscription);
    }
    let created = false;
    try {
      await call(this.pubsub, 'createSubscription', {
        name: temp,
        topic: this.pubsub.topic(topic).name,
        ackDeadlineSeconds: 600,
        enableMessageOrdering: false,
        expirationPolicy: { ttl: { seconds: 24 * 3600 } },
        labels,
      });
      created = true;
      await call(this.pubsub, 'seek', { subscription: temp, snapshot });
      return await scanSubscription(this.pubsub, temp, {
        maxMessages: this.options.maxMessages,
        deadline: started + this.options.timeoutMs,
      });
    } catch (e) {
      throw classifyPubsubError(e, `count the backlog of subscription ${subscription} through ${name}`, 'group');
    } finally {
      await Promise.all([
        created ? this.remove('deleteSubscription', { subscription: temp }, temp) : undefined,
        this.remove('deleteSnapshot', { snapshot }, snapshot),
      ]);
    }
  }

  private async remove(method: string, reqOpts: object, what: string): Promise<void> {
    try {
      await call(this.pubsub, method, reqOpts);
    } catch (e) {
      if (grpcCode(e) === NOT_FOUND) return;
      this.logger.warn('pubsub lag: could not delete a temporary resource; delete it by hand', {
        resource: what,
        error: String((e as Error)?.message ?? e),
      });
    }
  }

  private async snapshotError(e: unknown, topic: string, group: string, subscription: string): Promise<Error> {
    const code = grpcCode(e);
    if (code === UNIMPLEMENTED) {
      this.unsupported = new UnsupportedError(
        `consumer lag on Pub/Sub counts the group's backlog through a snapshot, and this endpoint does not implement CreateSnapshot${this.emulator ? ' (pstest has no snapshots)' : ''}`,
        { target: PUBSUB_TARGET, cause: e },
      );
      return this.unsupported;
    }
    if (code === NOT_FOUND) {
      const topicExists = await this.pubsub
        .topic(topic)
        .exists()
        .then(([exists]) => exists)
        .catch(() => true);
      if (!topicExists)
        return new NotFoundError(`topic "${topic}" does not exist`, { field: 'topic', target: PUBSUB_TARGET, cause: e });
      return new NotFoundError(
        `group "${group}" has no subscription on topic "${topic}" (${subscription}): it never subscribed, or it was deleted`,
        { field: 'group', target: PUBSUB_TARGET, cause: e },
      );
    }
    const error = classifyPubsubError(
      e,
      `snapshot subscription ${subscription} to count its backlog (lag needs pubsub.snapshots.create/seek/delete and pubsub.subscriptions.create/delete)`,
      'group',
    );
    if (error.kind === 'auth') this.refused = { error, at: Date.now() };
    return error;
  }
}
