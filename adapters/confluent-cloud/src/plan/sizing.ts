/**
 * Confluent Cloud sizing: capacity units (eCKUs on the elastic types, CKUs on Dedicated) for the peak ingress, the
 * peak egress across groups and the partitions, each against the type's planning figure per unit.
 *
 * @packageDocumentation
 */
import { ceilSafe } from '@speedlayer/planner';
import { CLUSTER_TYPES, type ClusterType, CONFLUENT_LIMITS } from './limits.js';

/** The capacity units a cluster type needs, with each bound. */
export interface UnitSizing {
  readonly units: number;
  readonly byIngress: number;
  readonly byEgress: number;
  readonly byPartitions: number;
}

/**
 * Capacity units of a cluster type for a load: the largest of the ingress, egress and partition bounds, at least 1
 * (2 for a multi-zone Dedicated cluster).
 */
export function capacityUnits(
  type: ClusterType,
  i: { peakBytesPerSec: number; peakEgressBytesPerSec: number; partitions: number },
): UnitSizing {
  const t = CLUSTER_TYPES[type];
  const byIngress = ceilSafe(i.peakBytesPerSec / t.ingressPerUnit.value);
  const byEgress = ceilSafe(i.peakEgressBytesPerSec / t.egressPerUnit.value);
  const byPartitions = ceilSafe(i.partitions / t.partitionsPerUnit.value);
  const floor = type === 'dedicated' ? CONFLUENT_LIMITS.dedicatedMultiZoneMinCku.value : 1;
  return { units: Math.max(floor, byIngress, byEgress, byPartitions), byIngress, byEgress, byPartitions };
}
