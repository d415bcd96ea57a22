/**
 * `@speedlayer/TEMPLATE/plan`: the planning profile of the TEMPLATE target: vendor limits with their sources, a sizing
 * rule, a price table, the qualitative rows and the IaC emitter. `@speedlayer/planner` and `@speedlayer/iac` are
 * optional peer dependencies: only `plan`, `compare` and `deploy` load this entry.
 *
 * @packageDocumentation
 */
import { fact, z } from '@speedlayer/core';
import {
  PlanBuilder,
  type PlannerTarget,
  partitionedReplicas,
  price,
  targetOptionFields,
  targetOptions,
} from '@speedlayer/planner';
import { templateDescriptor as d } from '../target.js';

/** TODO: the vendor's limits, each with the URL it was read from (see reference/vendor-facts.md). */
export const ACME_LIMITS = {
  perPartitionWriteBytes: fact(1_048_576, 'bytes/s', 'https://example.com/acme/limits', 'assumption'),
};

/** TODO: the vendor's unit prices, each with its date and region. */
export const ACME_PRICES = {
  partitionHour: price(0.015, 'partition-hour', 'https://example.com/acme/pricing', '2026-01-01', 'us-east-1', 'assumption'),
};

/** Options under `targets.acme-stream` in a workload file. */
export const templateOptionsSchema = z.strictObject({
  /** Kubernetes version of the worker cluster. @default 1.33 */
  kubernetesVersion: targetOptionFields.kubernetesVersion(),
});

/** The TEMPLATE planning profile (id and title from the descriptor). */
export const plannerTarget: PlannerTarget = {
  id: d.id,
  title: d.title,
  limits: ACME_LIMITS,
  prices: ACME_PRICES,
  qualitative: {
    complexity: { value: 'TODO', why: 'TODO' },
    provisioning: { value: 'TODO', why: 'TODO' },
    migration: { value: 'TODO', why: 'TODO' },
    scalability: { value: 'TODO', why: 'TODO' },
    vendorLockIn: { value: 'TODO', why: 'TODO' },
    kafkaCompatibility: { value: 'none', why: 'TODO' },
  },
  plan(input) {
    const opts = targetOptions(input, d.id, templateOptionsSchema);
    const b = new PlanBuilder(d.id, d.title);
    // TODO: the sizing rule, one step per limit it uses
    const partitions = b.step(
      'partitions for write bytes',
      `ceil(${input.load.peakBytesPerSec} B/s / ${ACME_LIMITS.perPartitionWriteBytes.value} B/s)`,
      Math.max(1, input.load.peakBytesPerSec / ACME_LIMITS.perPartitionWriteBytes.value),
      ACME_LIMITS.perPartitionWriteBytes,
    );
    b.charge('partition-hours', partitions * 730, ACME_PRICES.partitionHour);
    const replicas = partitionedReplicas(partitions, input.load);
    return b.build({
      tier: 'standard',
      partitions,
      replicas: { min: replicas.min, max: replicas.max },
      replicaRule: replicas.rule,
      capacity: { partitions, kubernetesVersion: opts.kubernetesVersion },
      repartitioning: { policy: 'grow-only', note: 'TODO', source: 'https://example.com/acme/partitions' },
    });
  },
  emit() {
    // TODO: Terraform, Kubernetes manifests (packages/iac writers), secure by default, no timestamps
    return [];
  },
};
