/**
 * Access as code, target-neutral: the Kafka ACL bindings a workload's `access` block grants on its topic. Every
 * Kafka-protocol target (MSK with SASL/SCRAM, Strimzi `KafkaUser`s, Confluent ACLs, `speedlayer acl apply`) derives
 * its grants from {@link kafkaAclBindings}, so they agree by construction.
 *
 * @packageDocumentation
 */

import type { WorkloadLoad } from './load.js';
import { deadLetterTopicName } from './target.js';
import type { Access, Workload } from './workload.js';

/** A Kafka ACL operation the access block grants. */
export type KafkaAclOperation = 'WRITE' | 'READ' | 'DESCRIBE';

/** One Kafka ACL binding (resource pattern + access control entry), in Kafka's own vocabulary. */
export interface KafkaAclBinding {
  /** `topic` or `group`. */
  readonly resourceType: 'topic' | 'group';
  /** The topic or group name (a literal, never a prefix). */
  readonly resourceName: string;
  /** `User:<principal>`. */
  readonly principal: string;
  /** What is allowed. */
  readonly operation: KafkaAclOperation;
  /** Always `ALLOW`: access as code grants; the authorizer denies what is not granted. */
  readonly permission: 'ALLOW';
  /** Always `LITERAL`. */
  readonly patternType: 'LITERAL';
  /** Always `*` (any host). */
  readonly host: '*';
}

/** Options of {@link kafkaAclBindings}. */
export interface KafkaAclOptions {
  /**
   * The dead-letter topic consumers publish failed records to, or `false` for none. Consumers get Write+Describe
   * on it, since the runtime dead-letters there after `maxAttempts`.
   * @default `<topic>.dlq`
   */
  readonly deadLetterTopic?: string | false;
}

const OP_ORDER: Record<KafkaAclOperation, number> = { WRITE: 0, READ: 1, DESCRIBE: 2 };

/**
 * The Kafka ACL bindings of an access block on one topic, least privilege: producers get Write+Describe on the topic;
 * consumers get Read+Describe on the topic, Read on their group, and Write+Describe on the dead-letter topic.
 * Pure and deterministic: duplicates are merged and the list is sorted by resource type (topics, then groups),
 * resource name, principal and operation (WRITE, READ, DESCRIBE), whatever the order of the access block.
 * @example
 * ```ts
 * kafkaAclBindings({ producers: [{ principal: 'orders-api' }], consumers: [] }, 'orders', { deadLetterTopic: false });
 * // [{ resourceType: 'topic', resourceName: 'orders', principal: 'User:orders-api', operation: 'WRITE', ... },
 * //  { resourceType: 'topic', resourceName: 'orders', principal: 'User:orders-api', operation: 'DESCRIBE', ... }]
 * ```
 */
export function kafkaAclBindings(access: Access, topic: string, options: KafkaAclOptions = {}): KafkaAclBinding[] {
  const dlq = options.deadLetterTopic === undefined ? deadLetterTopicName(topic) : options.deadLetterTopic;
  const byKey = new Map<string, KafkaAclBinding>();
  const add = (resourceType: 'topic' | 'group', resourceName: string, principal: string, operation: KafkaAclOperation) => {
    const b: KafkaAclBinding = {
      resourceType,
      resourceName,
      principal: `User:${principal}`,
      operation,
      permission: 'ALLOW',
      patternType: 'LITERAL',
      host: '*',
    };
    byKey.set(`${resourceType}\u0000${resourceName}\u0000${b.principal}\u0000${operation}`, b);
  };
  for (const p of access.producers) {
    add('topic', topic, p.principal, 'WRITE');
    add('topic', topic, p.principal, 'DESCRIBE');
  }
  for (const c of access.consumers) {
    add('topic', topic, c.principal, 'READ');
    add('topic', topic, c.principal, 'DESCRIBE');
    add('group', c.group, c.principal, 'READ');
    if (dlq) {
      add('topic', dlq, c.principal, 'WRITE');
      add('topic', dlq, c.principal, 'DESCRIBE');
    }
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...byKey.values()].sort(
    (a, b) =>
      cmp(a.resourceType, b.resourceType) ||
      cmp(a.resourceName, b.resourceName) ||
      cmp(a.principal, b.principal) ||
      OP_ORDER[a.operation] - OP_ORDER[b.operation],
  );
}

/** The principals of an access block with what each may do, sorted by name (for identities per principal). */
export interface AccessPrincipal {
  /** The principal's name. */
  readonly principal: string;
  /** True when it writes to the topic. */
  readonly produces: boolean;
  /** The groups it reads in (sorted; empty when it does not consume). */
  readonly groups: readonly string[];
}

/**
 * Every principal of an access block once, sorted by name, with whether it produces and the groups it consumes in.
 * Emitters create one identity per principal from this list.
 */
export function accessPrincipals(access: Access | undefined): AccessPrincipal[] {
  if (!access) return [];
  const out = new Map<string, { produces: boolean; groups: string[] }>();
  const get = (p: string) => {
    const e = out.get(p) ?? { produces: false, groups: [] };
    out.set(p, e);
    return e;
  };
  for (const p of access.producers) get(p.principal).produces = true;
  for (const c of access.consumers) get(c.principal).groups.push(c.group);
  return [...out.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([principal, e]) => ({ principal, produces: e.produces, groups: [...e.groups].sort() }));
}

/**
 * The access a plan grants: the `access` block's producers, and one consumer per deployed group: the named principal
 * for the groups of `access.consumers`, the workload's own `<name>-worker` principal for the others. Kafka-protocol
 * targets (Strimzi, Confluent) turn it into users or service accounts with {@link kafkaAclBindings}.
 */
export function grantedAccess(workload: Workload, load: Pick<WorkloadLoad, 'groups'>): Access {
  const named = new Map((workload.access?.consumers ?? []).map((c) => [c.group, c.principal]));
  return {
    producers: workload.access?.producers ?? [],
    consumers: load.groups.map((g) => ({ principal: named.get(g) ?? `${workload.name}-worker`, group: g })),
  };
}

/**
 * The deployed groups that run as the workload's own `<name>-worker` identity: those no consumer of the `access`
 * block names; `undefined` when nothing runs as it (the access block names every group), so a plan emits no worker
 * identity and the principals alone hold the grants. Without an access block every group runs as the worker.
 */
export function workerGroups(workload: Workload, load: Pick<WorkloadLoad, 'groups'>): string[] | undefined {
  if (!workload.access) return [...load.groups];
  const named = new Set(workload.access.consumers.map((c) => c.group));
  const rest = load.groups.filter((g) => !named.has(g));
  return rest.length > 0 ? rest : undefined;
}
