/**
 * The driver SPI: what an adapter implements. Applications never see a driver: `connect()` wraps it in the
 * portable client ({@link PortableStreamClient}), which owns what is the same on every target — batching of
 * concurrent sends, lifecycle, validation of options and records, middleware, the escape hatch — as go-cloud's
 * portable `pubsub.Topic` does over its `driver.Topic`.
 *
 * A driver:
 * - sends one batch of already validated records of one topic and returns each record's position
 *   ({@link DriverProducer.send}; the portable batcher sizes batches by the driver's {@link StreamLimits});
 * - fetches and acknowledges through core's consumer engine ({@link PartitionProcessor}) behind `subscribe`;
 * - does topic admin and reads partition metadata ({@link StreamAdmin});
 * - declares its capabilities: *contract* flags that the conformance suite checks both ways, and *descriptive*
 *   limits that the runtime and the planner read ({@link contractOf}, {@link limitsOf});
 * - optionally exposes its native client ({@link StreamDriver.native}) for `client.as()`.
 *
 * @packageDocumentation
 */
import type { StreamCapabilities } from './capabilities.js';
import type { ProducerRecord, RecordMetadata } from './message.js';
import type { MessageHandler, StreamAdmin, SubscribeOptions, Subscription } from './stream.js';

/** Sends batches for a driver. */
export interface DriverProducer {
  /**
   * Sends one batch (already validated by the portable client against the driver's limits). Either every record
   * is acknowledged — the result has one entry per record, in order — or the call throws a typed error. A
   * non-retriable error means nothing of the batch was written. Per-key order within the batch is kept.
   */
  send(topic: string, records: ProducerRecord | readonly ProducerRecord[]): Promise<RecordMetadata[]>;
  /** Waits for batches in flight. */
  flush(): Promise<void>;
  /** Releases the producer. */
  close(): Promise<void>;
}

/** What an adapter's `streamFactory` returns. */
export interface StreamDriver {
  /** Target id, e.g. `aws-msk-eks`. */
  readonly target: string;
  /** The URI the driver was created from (no secrets). */
  readonly uri: string;
  /** Contract flags and descriptive limits. */
  readonly capabilities: StreamCapabilities;
  /** Topic administration and partition metadata. */
  readonly admin: StreamAdmin;
  /** A batch sender. The portable client creates one per portable producer. */
  producer(): DriverProducer;
  /** Joins a group and feeds core's consumer engine; the handler given is the portable client's middleware chain. */
  subscribe(options: SubscribeOptions, handler: MessageHandler): Promise<Subscription>;
  /** The vendor's own client object (kafkajs `Kafka`, `KinesisClient`, `PubSub`...), for `client.as()`. */
  native?(): unknown;
  /**
   * How far `group` is behind on `topic`, per partition (see {@link PartitionLag}). Absent where the target cannot
   * tell (the portable client then throws `UnsupportedError`).
   */
  lag?(topic: string, group: string): Promise<PartitionLag[]>;
  /** Releases everything the driver holds. */
  close(): Promise<void>;
}

/** How far a group is behind in one partition. */
export interface PartitionLag {
  /** Partition index (0 on targets without partitions). */
  partition: number;
  /** Messages written and not yet checkpointed by the group. */
  lag: number;
  /** The target's position after the last message, when it has one. */
  endPosition?: string;
  /** The group's checkpoint (next position to read), or null when the group has none in this partition. */
  committedPosition?: string | null;
  /** Age in seconds of the oldest message not yet checkpointed (0 when nothing is behind), when the target can tell. */
  ageSeconds?: number;
  /** True when `lag` is a lower bound: the target counted up to a bound and stopped (Pub/Sub's backlog scan). */
  truncated?: boolean;
}

/** The capability flags that are part of the contract: each is checked both ways by the conformance suite. */
export const CONTRACT_CAPABILITIES = [
  'nativeHeaders',
  'partitions',
  'partitionGrowth',
  'nativeConsumerGroups',
  'timestampSeek',
  'historyForNewGroups',
  'producePositions',
  'idempotentProduce',
  'nativeDeadLetter',
  'multiProcess',
  'durable',
] as const satisfies readonly (keyof StreamCapabilities)[];

/** A contract flag's name. */
export type ContractCapability = (typeof CONTRACT_CAPABILITIES)[number];

/** The contract flags of a target, with the documented defaults filled in. */
export type StreamContract = Record<ContractCapability, boolean>;

/** Descriptive limits of a target: read by the portable batcher, validation and the planner. */
export interface StreamLimits {
  /** Largest record (key + value + headers), in bytes. */
  maxMessageBytes: number;
  /** Most records in one driver batch. */
  maxBatchRecords: number;
  /** Most bytes in one driver batch. */
  maxBatchBytes: number;
  /** Most headers per record, if capped. */
  maxHeaders?: number;
  /** Most partitions (shards) one topic may have on this target, if capped; checked before any request. */
  maxPartitions?: number;
}

/** Records per batch when the target declares no cap. */
export const DEFAULT_MAX_BATCH_RECORDS = 1000;
/** Bytes per batch when the target declares no cap. */
export const DEFAULT_MAX_BATCH_BYTES = 4 * 1024 * 1024;

/** The contract flags of `caps`, with `historyForNewGroups` and `producePositions` defaulting to true. */
export function contractOf(caps: StreamCapabilities): StreamContract {
  const out = {} as StreamContract;
  for (const name of CONTRACT_CAPABILITIES) out[name] = caps[name] ?? true;
  return out;
}

/** The descriptive limits of `caps`, with defaults where the target declares no cap. */
export function limitsOf(caps: StreamCapabilities): StreamLimits {
  const maxBatchBytes = Math.max(caps.maxMessageBytes, caps.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES);
  return {
    maxMessageBytes: caps.maxMessageBytes,
    maxBatchRecords: caps.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS,
    maxBatchBytes,
    ...(caps.maxHeaders !== undefined ? { maxHeaders: caps.maxHeaders } : {}),
    ...(caps.maxPartitions !== undefined ? { maxPartitions: caps.maxPartitions } : {}),
  };
}
