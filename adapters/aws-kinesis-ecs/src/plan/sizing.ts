/**
 * The Kinesis sizing rule (vendor-facts.md §7):
 * `shards = max(ceil(ingressMiBps / 1), ceil(records/s / 1000), ceil(sharedReadMiBps / 2))`, shared read = ingress x
 * polling consumer groups (with enhanced fan-out each consumer has its own 2 MiB/s per shard, so only the write terms
 * apply), plus the processing term: one KCL worker per shard handles its records serially, so
 * `shards >= ceil(peak records/s x msPerRecord / 1000)`.
 *
 * @packageDocumentation
 */
import { ceilSafe, fmt, MIB, type SizingStep } from '@speedlayer/planner';
import { KINESIS_LIMITS as L } from './limits.js';

/** Inputs of {@link provisionedShards}. */
export interface ShardInputs {
  /** Peak write bytes/s. */
  readonly peakBytesPerSec: number;
  /** Peak write records/s. */
  readonly peakRecordsPerSec: number;
  /** Polling (shared-throughput) consumer groups; 0 with enhanced fan-out. */
  readonly sharedConsumers: number;
  /** Replicas needed for processing at peak (one worker per shard). */
  readonly processingReplicas: number;
}

/** Shards per term and the result. */
export interface ShardSizing {
  readonly writeBytes: number;
  readonly writeRecords: number;
  readonly sharedRead: number;
  readonly processing: number;
  readonly shards: number;
  readonly steps: readonly SizingStep[];
}

/**
 * Provisioned shard count for a peak load.
 * @example
 * ```ts
 * provisionedShards({ peakBytesPerSec: 40_960_000, peakRecordsPerSec: 40_000, sharedConsumers: 2, processingReplicas: 80 }).shards; // 80
 * ```
 */
export function provisionedShards(i: ShardInputs): ShardSizing {
  const mib = i.peakBytesPerSec / MIB;
  const writeBytes = ceilSafe(i.peakBytesPerSec / L.shardWriteBytesPerSec.value);
  const writeRecords = ceilSafe(i.peakRecordsPerSec / L.shardWriteRecordsPerSec.value);
  const sharedRead = ceilSafe((i.peakBytesPerSec * i.sharedConsumers) / L.shardSharedReadBytesPerSec.value);
  const processing = i.processingReplicas;
  const shards = Math.max(1, writeBytes, writeRecords, sharedRead, processing);
  const steps: SizingStep[] = [
    {
      name: 'shards for write bytes',
      formula: `ceil(${fmt(mib)} MiB/s / 1 MiB/s)`,
      value: writeBytes,
      source: L.shardWriteBytesPerSec.source,
    },
    {
      name: 'shards for write records',
      formula: `ceil(${fmt(i.peakRecordsPerSec)} records/s / 1,000)`,
      value: writeRecords,
      source: L.shardWriteRecordsPerSec.source,
    },
    {
      name: 'shards for shared reads',
      formula:
        i.sharedConsumers === 0
          ? 'enhanced fan-out: each consumer reads 2 MiB/s per shard on its own, no shared-read term'
          : `ceil(${fmt(mib)} MiB/s x ${i.sharedConsumers} groups / 2 MiB/s)`,
      value: sharedRead,
      source: i.sharedConsumers === 0 ? L.efoReadBytesPerSec.source : L.shardSharedReadBytesPerSec.source,
    },
    {
      name: 'shards for processing (one worker per shard)',
      formula: 'ceil(peak records/s x msPerRecord / 1000)',
      value: processing,
    },
  ];
  return { writeBytes, writeRecords, sharedRead, processing, shards, steps };
}

/**
 * Shards an on-demand stream is expected to settle at: it starts with 4 and splits a shard above 500 KB/s, and a
 * shard still takes at most 1,000 records/s.
 */
export function onDemandShardEstimate(peakBytesPerSec: number, peakRecordsPerSec: number): number {
  return Math.max(
    L.onDemandInitialShards.value,
    ceilSafe(peakBytesPerSec / L.onDemandSplitBytesPerSec.value),
    ceilSafe(peakRecordsPerSec / L.shardWriteRecordsPerSec.value),
  );
}

/**
 * UpdateShardCount calls needed to go from `from` to `to` shards: each call may at most double (or halve) the count.
 * @example
 * ```ts
 * reshardCalls(10, 35); // 2: 10 -> 20 -> 35
 * ```
 */
export function reshardCalls(from: number, to: number): number {
  if (from <= 0 || to <= 0) throw new RangeError('shard counts must be positive');
  let calls = 0;
  let n = from;
  while (n !== to) {
    n = to > n ? Math.min(to, n * L.reshardStepMax.value) : Math.max(to, Math.ceil(n / L.reshardStepMax.value));
    calls++;
  }
  return calls;
}

/** PUT payload units of one record: 25 KB chunks (5 KB -> 1, 45 KB -> 2, 1 MB -> 40). */
export function putPayloadUnits(recordBytes: number): number {
  return Math.max(1, Math.ceil(recordBytes / 25_000));
}
