/**
 * Shared by every compute adapter: workload spec validation and the 1:1 rule (replicas = partitions).
 *
 * @packageDocumentation
 */
import type { ComputeClient, WorkloadSpec, WorkloadStatus } from './compute.js';
import { UnsupportedError, ValidationError } from './errors.js';
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

const NAME_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Checks a workload spec the same way on every compute target.
 * @throws {@link ValidationError} naming the field at fault.
 */
export function validateWorkloadSpec(spec: WorkloadSpec): WorkloadSpec {
  if (!spec || typeof spec !== 'object') throw new ValidationError('workload spec must be an object', { field: 'spec' });
  if (typeof spec.name !== 'string' || !NAME_RE.test(spec.name)) {
    throw new ValidationError(`name "${String(spec.name)}" must be a DNS-1123 label (lower-case letters, digits, "-")`, {
      field: 'name',
    });
  }
  if (!Array.isArray(spec.command) || spec.command.length === 0 || spec.command.some((c) => typeof c !== 'string')) {
    throw new ValidationError('command must be a non-empty array of strings', { field: 'command' });
  }
  if (!Number.isInteger(spec.replicas) || spec.replicas < 0 || spec.replicas > 1000) {
    throw new ValidationError(`replicas must be a whole number from 0 to 1000, got ${String(spec.replicas)}`, {
      field: 'replicas',
    });
  }
  if (spec.autoscaling && (spec.autoscaling.min > spec.autoscaling.max || spec.autoscaling.min < 0)) {
    throw new ValidationError('autoscaling.min must be between 0 and autoscaling.max', { field: 'autoscaling.min' });
  }
  for (const [k, v] of Object.entries(spec.env ?? {})) {
    if (typeof v !== 'string') throw new ValidationError(`env.${k} must be a string`, { field: `env.${k}` });
  }
  return spec;
}

/**
 * The spec pinned to `replicas`: what `scale` means on every compute target under the 1:1 rule — the
 * autoscaler's maximum becomes `replicas` and its minimum never exceeds it.
 */
export function pinReplicas(spec: WorkloadSpec, replicas: number): WorkloadSpec {
  return {
    ...spec,
    replicas,
    ...(spec.autoscaling ? { autoscaling: { min: Math.min(spec.autoscaling.min, replicas), max: replicas } } : {}),
  };
}
