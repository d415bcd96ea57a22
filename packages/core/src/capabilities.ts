/**
 * Capabilities: optional behaviour declared as data. The conformance suite checks them both ways: a declared
 * capability is exercised, an undeclared one is asserted absent (the call fails with `UnsupportedError`).
 *
 * @packageDocumentation
 */

/** What a stream target can do. */
export interface StreamCapabilities {
  /** Headers travel natively (false: an envelope encoding or none). */
  nativeHeaders: boolean;
  /** Whether the target has partitions at all (Pub/Sub has none). */
  partitions: boolean;
  /** `admin.growPartitions` works. */
  partitionGrowth: boolean;
  /** Groups are provided by the service itself (false: emulated by the adapter with a lease store). */
  nativeConsumerGroups: boolean;
  /** `startFrom: { timestamp }` is honoured. */
  timestampSeek: boolean;
  /**
   * A new group (one with no checkpoint) that starts at `earliest` reads the messages published before the
   * group existed, back to the topic's retention. `false` where a group only sees messages published after it
   * was registered — its first `subscribe` — and nothing earlier: Pub/Sub without Seek (e.g. the pstest
   * emulator), where a group is a subscription and the subscription is its only store of messages. There,
   * `earliest` and `latest` both begin at the group's registration, and a group that must not miss messages
   * subscribes (and may close again) before they are produced. Absent means `true`.
   * @default true
   */
  historyForNewGroups?: boolean;
  /**
   * `send()` returns each record's position (`RecordMetadata.position`: where a consumer finds it). `false` where
   * the service does not say where a published event landed (Event Hubs over AMQP): the position is then `''`, and
   * what needs target positions (a migration's group move) cannot use the target. Absent means `true`.
   * @default true
   */
  producePositions?: boolean;
  /** The producer de-duplicates retries (Kafka idempotent producer). */
  idempotentProduce: boolean;
  /** Dead-lettering is native to the service (false: the consumer engine publishes to a dead-letter topic). */
  nativeDeadLetter: boolean;
  /** Largest record (key + value + headers) the target accepts, in bytes. */
  maxMessageBytes: number;
  /** Largest number of records in one send call, if the target caps it. */
  maxBatchRecords?: number;
  /** Largest number of bytes in one send call, if the target caps it. */
  maxBatchBytes?: number;
  /** Largest number of headers per record, if capped. */
  maxHeaders?: number;
  /** Most partitions (shards) per topic, if the target caps it (e.g. Event Hubs Standard: 32). */
  maxPartitions?: number;
  /** Several OS processes can share one topic and group. */
  multiProcess: boolean;
  /** Data survives the process that wrote it. */
  durable: boolean;
}

/** Capability names, for iteration in the conformance suite. */
export type CapabilityName = keyof StreamCapabilities;

/** What a compute target can do. */
export interface ComputeCapabilities {
  /** Replicas actually run (false: objects are stored, e.g. an API server without kubelets). */
  runsReplicas: boolean;
  /** An autoscaler object is managed alongside the workload. */
  autoscaling: boolean;
}
