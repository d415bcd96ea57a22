/**
 * What the emitters of the Kafka targets whose groups sign in as their own principals (Strimzi on AKS, Confluent Cloud)
 * read from a plan the same way: the topic, its dead-letter topic, the worker namespace, the consumer groups with
 * their principals and the Kafka ACLs they are granted.
 *
 * @packageDocumentation
 */
import { grantedAccess, type KafkaAclBinding, kafkaAclBindings } from './access.js';
import { deadLetterTopicName, type EmitScope, type PlanInput, type TargetPlan } from './target.js';

/** The fields a Kafka target's emitter model starts from. */
export interface KafkaWorkloadModel {
  /** Workload name, also the topic's. */
  name: string;
  /** Kubernetes namespace of the workers. */
  namespace: string;
  /** Dead-letter topic (`<topic>.dlq`). */
  dlq: string;
  /** What to emit. */
  scope: EmitScope;
  /** Partitions of the topic. */
  partitions: number;
  /** Topic retention in milliseconds. */
  retentionMs: number;
  /** Largest record the topic takes, in bytes. */
  maxMessageBytes: number;
  /** Address space of the worker network. */
  vnetCidr: string;
  /** Kubernetes version of the worker cluster. */
  k8sVersion: string;
  /** The consumer group -> the principal the group's workers run as. */
  groups: { name: string; principal: string }[];
  /** The grants: the access block's producers and the deployed consumers. */
  bindings: KafkaAclBinding[];
}

/** The shared part of a Kafka emitter's model, from a feasible plan (capacity `partitions`, `maxMessageBytes`, ...). */
export function kafkaWorkloadModel(plan: TargetPlan, input: PlanInput, scope: EmitScope): KafkaWorkloadModel {
  const c = plan.capacity;
  const w = input.workload;
  const access = grantedAccess(w, input.load);
  return {
    name: w.name,
    namespace: w.deploy.namespace ?? w.name,
    dlq: deadLetterTopicName(w.name),
    scope,
    partitions: Number(c.partitions),
    retentionMs: Math.round(w.retentionHours * 3_600_000),
    maxMessageBytes: Number(c.maxMessageBytes),
    vnetCidr: String(c.vnetCidr),
    k8sVersion: String(c.kubernetesVersion),
    groups: access.consumers.map((x) => ({ name: x.group, principal: x.principal })),
    bindings: kafkaAclBindings(access, w.name),
  };
}
