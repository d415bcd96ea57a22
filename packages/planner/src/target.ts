/**
 * The contract every target's planning profile implements. Adapters provide one {@link PlannerTarget} each on
 * their `./plan` subpath; the planner never imports an adapter, the CLI wires them through a registry.
 *
 * @packageDocumentation
 */
import type { WorkloadLoad } from './load.js';
import type { Price, Sourced } from './sourced.js';
import type { Workload } from './workload.js';

/** One step of a sizing rule, for the explanation printed with a plan. */
export interface SizingStep {
  /** What the step bounds, e.g. `shards for write bytes`. */
  readonly name: string;
  /** The formula with the numbers filled in, e.g. `ceil(40.0 MiB/s / 1 MiB/s)`. */
  readonly formula: string;
  /** Result of the step. */
  readonly value: number;
  /** Source URL of the limit used. */
  readonly source?: string;
}

/** Why a target cannot serve a workload. */
export interface Blocker {
  /** Workload field path at fault, e.g. `maxRecordBytes`. */
  readonly field: string;
  /** What is wrong, naming the limit. */
  readonly message: string;
  /** The limit that is exceeded. */
  readonly limit?: Sourced<unknown>;
}

/** One line of a monthly cost estimate. */
export interface CostLine {
  /** What is billed, e.g. `shard-hours`. */
  readonly item: string;
  /** Quantity per month in `unit`s of the price. */
  readonly quantity: number;
  /** Unit price used. */
  readonly price: Price;
  /** quantity x price, USD per month. */
  readonly monthlyUsd: number;
}

/** How the partition count can change after creation. */
export interface Repartitioning {
  /** `grow-only` (Kafka), `reshard` (Kinesis split/merge), `fixed` (Event Hubs below Premium), `grow` (Event Hubs Premium+), `none` (Pub/Sub). */
  readonly policy: 'grow-only' | 'reshard' | 'fixed' | 'grow' | 'none';
  /** What that means for this plan. */
  readonly note: string;
  /** Source URL. */
  readonly source: string;
}

/** A target's plan for one workload. */
export interface TargetPlan {
  /** Target id, e.g. `aws-msk-eks`. */
  readonly target: string;
  /** Human name, e.g. `Amazon MSK + EKS`. */
  readonly title: string;
  /** False when the target cannot serve the workload; `blockers` says why. */
  readonly feasible: boolean;
  /** Why the target cannot serve the workload (empty when feasible). */
  readonly blockers: readonly Blocker[];
  /** The tier or mode chosen, e.g. `provisioned`, `premium`. */
  readonly tier: string;
  /** Why that tier or mode was chosen. */
  readonly choice: readonly string[];
  /** Partitions or shards; `null` where the target has none (Pub/Sub). */
  readonly partitions: number | null;
  /** Autoscaling bounds per consumer group (one replica per partition: max = partitions). */
  readonly replicas: { readonly min: number; readonly max: number };
  /** How the replica bounds were derived. */
  readonly replicaRule: string;
  /** Capacity in the vendor's units (shards, TUs, PUs, brokers, ...). */
  readonly capacity: Readonly<Record<string, number | string | boolean>>;
  /** The sizing steps, in order. */
  readonly sizing: readonly SizingStep[];
  /** How partitions can change later. */
  readonly repartitioning: Repartitioning;
  /** Monthly cost estimate in USD (`null` when infeasible). */
  readonly monthlyCostUsd: number | null;
  /** Cost lines adding up to {@link TargetPlan.monthlyCostUsd}. */
  readonly cost: readonly CostLine[];
  /** Things the reader should check (quotas, assumptions, unconfirmed numbers). */
  readonly warnings: readonly string[];
  /**
   * False when the workers of this plan cannot read consumer lag (a target option turned it off, e.g. Pub/Sub's
   * `consumerLag: false`): the plan's alert rules then leave the lag alerts out. Absent: lag is read.
   */
  readonly lagMetrics?: false;
}

/** A file an emitter produces, relative to the output directory. */
export interface EmittedFile {
  /** Relative path with `/` separators, e.g. `terraform/main.tf`. */
  readonly path: string;
  /** File content (text). */
  readonly content: string;
  /** What kind of file it is. */
  readonly kind: 'terraform' | 'cloudformation' | 'kubernetes' | 'ecs' | 'text';
}

/**
 * What a plan emits: `full` (default) a whole stack (network endpoints, cluster, stream, identities, workers);
 * `workload` only what one workload needs in an existing cluster and namespace (topic and its dead-letter topic,
 * identities and grants, Deployments/ScaledObjects or ECS services): no cluster, VPC or namespace-wide resources.
 */
export type EmitScope = 'full' | 'workload';

/** Settings every emitter receives. Output depends on nothing else: no clock, so re-planning is byte-identical. */
export interface EmitContext {
  /** Generator name and version written into file headers. */
  readonly generator: string;
  /** What to emit. @default 'full' */
  readonly scope?: EmitScope;
  /** @deprecated Ignored: emitted files carry no timestamp. */
  readonly now?: Date;
}

/**
 * The dead-letter topic of a topic on every target: `<topic>.dlq`, the runtime's default
 * (`SubscribeOptions.deadLetterTopic`). Plans provision it with the grants to publish to it and read it back.
 */
export function deadLetterTopicName(topic: string): string {
  return `${topic}.dlq`;
}

/** The qualitative rows of the seeds' comparison tables, one short answer and an explanation each. */
export interface QualitativeProfile {
  readonly complexity: QualitativeRow;
  readonly provisioning: QualitativeRow;
  readonly migration: QualitativeRow;
  readonly scalability: QualitativeRow;
  readonly vendorLockIn: QualitativeRow;
  readonly kafkaCompatibility: QualitativeRow;
}

/** One qualitative answer. */
export interface QualitativeRow {
  /** Short value, e.g. `high`, `native`. */
  readonly value: string;
  /** Why. */
  readonly why: string;
}

/** What a target receives to plan a workload. */
export interface PlanInput {
  /** The validated workload. */
  readonly workload: Workload;
  /** Its derived load. */
  readonly load: WorkloadLoad;
}

/**
 * A target's planning profile: limits with sources, a sizing rule, a price table and an IaC emitter.
 * Implemented by each adapter package on its `./plan` subpath.
 */
export interface PlannerTarget {
  /** Target id, e.g. `aws-kinesis-ecs`. */
  readonly id: string;
  /** Human name. */
  readonly title: string;
  /** The vendor limits the sizing rule uses, each with its source URL. */
  readonly limits: Readonly<Record<string, Sourced<unknown>>>;
  /** The unit prices the cost estimate uses, each with a "price as of" stamp. */
  readonly prices: Readonly<Record<string, Price>>;
  /** The qualitative comparison rows. */
  readonly qualitative: QualitativeProfile;
  /**
   * Sizes the workload for this target. Never throws for a workload the target cannot serve: returns a plan
   * with `feasible: false` and blockers naming the field and the limit.
   * @throws `WorkloadValidationError` when `targets.<id>` options are invalid.
   */
  plan(input: PlanInput): TargetPlan;
  /** Emits the IaC files for a feasible plan. */
  emit(plan: TargetPlan, input: PlanInput, context: EmitContext): EmittedFile[];
}
