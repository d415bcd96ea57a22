/**
 * Pub/Sub replica rule. Pub/Sub has no partitions: capacity scales per topic and subscription by itself, so replicas
 * are derived from processing only: `max = ceil(peak records/s x msPerRecord / 1000)` (enough to keep up at peak),
 * `min = ceil(sustained records/s x msPerRecord / 1000)`, both at least 1; KEDA scales between them on the
 * subscription backlog. With per-key ordering, each ordering key is delivered in order and capped at 1 MB/s.
 *
 * @packageDocumentation
 */
import { ceilSafe } from '@speedlayer/planner';
import { PUBSUB_LIMITS as L } from './limits.js';

/** Replica bounds for Pub/Sub. */
export function pubsubReplicas(
  peakRecordsPerSec: number,
  sustainedRecordsPerSec: number,
  msPerRecord: number,
): { min: number; max: number } {
  const max = Math.max(1, ceilSafe((peakRecordsPerSec * msPerRecord) / 1000));
  const min = Math.min(max, Math.max(1, ceilSafe((sustainedRecordsPerSec * msPerRecord) / 1000)));
  return { min, max };
}

/**
 * Ack deadline: twice the time a replica needs to work through its outstanding messages (flow control 1,000),
 * clamped to 10..600 s.
 * @example
 * ```ts
 * ackDeadlineSeconds(2); // 10 (4 s, raised to the 10 s minimum)
 * ```
 */
export function ackDeadlineSeconds(msPerRecord: number): number {
  const s = Math.ceil((2 * L.maxOutstandingMessages.value * msPerRecord) / 1000);
  return Math.min(L.ackDeadlineMax.value, Math.max(L.ackDeadlineMin.value, s));
}

/** KEDA SubscriptionSize target per replica: 30 s of one replica's work (at least 100 messages). */
export function backlogPerReplica(msPerRecord: number): number {
  if (msPerRecord <= 0) return 10_000;
  return Math.max(100, Math.round((30 * 1000) / msPerRecord));
}
