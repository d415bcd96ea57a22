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
