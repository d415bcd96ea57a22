/**
 * `@speedlayer/aws-msk-eks/target`: the descriptor of the Amazon MSK + EKS target (`msk://<cluster-arn>`; plain
 * `kafka://` is the `kafka` target of `@speedlayer/kafka`). Plain data: the stream factory, limits, prices and planning
 * profile it names load only when used.
 *
 * @packageDocumentation
 */
import { defineTarget, type TargetDescriptor } from '@speedlayer/core';
import { KAFKA_FLAGS, KAFKA_TERMS } from '@speedlayer/kafka/target';

/** `aws-msk-eks`. */
export const mskEksDescriptor: TargetDescriptor = defineTarget({
  id: 'aws-msk-eks',
  title: 'Amazon MSK + EKS',
  package: '@speedlayer/aws-msk-eks',
  streamSchemes: ['msk'],
  deploy: { compute: 'eks://', workload: 'kubernetes' },
  capabilities: KAFKA_FLAGS,
  messagingSystem: 'kafka',
  terms: KAFKA_TERMS,
  planExports: { limits: 'MSK_LIMITS', prices: 'MSK_EKS_PRICES' },
});

/** The package's targets (read by core's registry). */
export const targets: readonly TargetDescriptor[] = [mskEksDescriptor];
