/**
 * The 1:1 rule shared by every compute adapter: replicas = partitions.
 *
 * @packageDocumentation
 */
import type { ComputeClient, WorkloadStatus } from './compute.js';
import { UnsupportedError } from './errors.js';
import type { StreamClient } from './stream.js';

/**
 * Reads the topic's partition count and scales the workload (and its autoscaler maximum) to it.
 * Compute adapters implement `alignReplicas` by calling this with their own `scale`.
 * @throws {@link UnsupportedError} when the topic has no partitions.
 */
export async function alignReplicasToPartitions(
  compute: Pick<ComputeClient, 'scale'>,
  stream: StreamClient,
  topic: string,
  name: string,
): Promise<WorkloadStatus> {
  const info = await stream.admin.describeTopic(topic);
  if (info.partitions === null) {
    throw new UnsupportedError(
      `topic ${topic} on ${stream.target} has no partitions; size replicas with the planner's rule for this target`,
      { target: stream.target },
    );
  }
  return compute.scale(name, info.partitions);
}
