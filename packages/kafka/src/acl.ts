/**
 * ACLs as code on a running Kafka cluster, through the Admin API (CreateAcls, DescribeAcls, DeleteAcls): the
 * bindings a workload grants are compared with what the cluster holds on the workload's resources, the missing ones
 * are created and, with `prune`, the ones no longer granted are deleted. Idempotent: a second run changes nothing.
 * kafkajs stays inside this package; callers pass and get plain data.
 *
 * @packageDocumentation
 */
import { ConfigError, type StreamClient, UnsupportedError } from '@speedlayer/core';
import kafkajs, { type AclEntry, type AclOperationTypes as AclOperationType, type Admin } from 'kafkajs';
import { KafkaStreamClient } from './client.js';

// kafkajs is CommonJS: Node cannot import its enums by name, so they are read from the module object.
const {
  AclOperationTypes: OPERATION,
  AclPermissionTypes: PERMISSION,
  AclResourceTypes: RESOURCE_TYPE,
  ResourcePatternTypes: PATTERN,
} = kafkajs;

/** A resource an ACL is on: a topic or a consumer group. */
export type KafkaAclResourceType = 'topic' | 'group';

/** An ACL operation, in Kafka's vocabulary (`kafka-acls --operation`). */
export type KafkaAclOperationName =
  | 'ALL'
  | 'READ'
  | 'WRITE'
  | 'CREATE'
  | 'DELETE'
  | 'ALTER'
  | 'DESCRIBE'
  | 'CLUSTER_ACTION'
  | 'DESCRIBE_CONFIGS'
  | 'ALTER_CONFIGS'
  | 'IDEMPOTENT_WRITE';

/** One ACL binding: a resource pattern and an access control entry, as plain data. */
export interface KafkaAcl {
  /** `topic` or `group`. */
  readonly resourceType: KafkaAclResourceType;
  /** Topic or group name. */
  readonly resourceName: string;
  /** `LITERAL`: the ACL is on this name only (prefixed ACLs are not managed here). */
  readonly patternType: 'LITERAL';
  /** `User:<name>`. */
  readonly principal: string;
  /** Host the entry applies to; `*` for any. */
  readonly host: string;
  /** What it allows or denies. */
  readonly operation: KafkaAclOperationName;
  /** `ALLOW` or `DENY`. */
  readonly permission: 'ALLOW' | 'DENY';
}

/** The resources whose ACLs are managed: every `LITERAL` ACL on them is compared (and, with prune, removed). */
export interface KafkaAclScope {
  /** Topic names. */
  readonly topics: readonly string[];
  /** Consumer group names. */
  readonly groups: readonly string[];
}

/** Options of {@link applyKafkaAcls}. */
export interface ApplyKafkaAclsOptions {
  /**
   * Resources managed besides those of the desired ACLs (e.g. the workload's topic when nobody is granted on it any
   * more). @default the resources of the desired ACLs
   */
  readonly scope?: KafkaAclScope;
  /** Delete the `LITERAL` ACLs on the scope's resources that are not desired. @default false */
  readonly prune?: boolean;
  /** Compute and return the changes without making them. @default false */
  readonly dryRun?: boolean;
}

/** What {@link applyKafkaAcls} did (or, with `dryRun`, would do). Each list is sorted. */
export interface KafkaAclChanges {
  /** Desired ACLs that were missing and are now created. */
  readonly created: KafkaAcl[];
  /** ACLs on the scope that are not desired and were deleted (only with `prune`). */
  readonly deleted: KafkaAcl[];
  /** Desired ACLs that were already there. */
  readonly unchanged: KafkaAcl[];
}

const RESOURCE: Record<KafkaAclResourceType, number> = {
  topic: RESOURCE_TYPE.TOPIC,
  group: RESOURCE_TYPE.GROUP,
};
const OPERATIONS = OPERATION as unknown as Record<string, number>;
const OPERATION_NAMES = new Map<number, KafkaAclOperationName>(
  Object.entries(OPERATIONS)
    .filter(([name]) => name !== 'UNKNOWN' && name !== 'ANY')
    .map(([name, n]) => [n, name as KafkaAclOperationName]),
);
const PRINCIPAL = /^User:.+$/;

/** A stable identity of an ACL (all seven fields). */
export function kafkaAclKey(a: KafkaAcl): string {
  return [a.resourceType, a.patternType, a.resourceName, a.principal, a.host, a.operation, a.permission].join('\u0000');
}

function compare(a: KafkaAcl, b: KafkaAcl): number {
  const ka = kafkaAclKey(a);
  const kb = kafkaAclKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Checks one desired ACL. @throws `ConfigError` naming the field. */
function checkAcl(a: KafkaAcl, i: number): KafkaAcl {
  const at = `acls[${i}]`;
  if (a.resourceType !== 'topic' && a.resourceType !== 'group') {
    throw new ConfigError(`${at}.resourceType: must be topic or group, got ${String(a.resourceType)}`, {
      field: `${at}.resourceType`,
    });
  }
  if (typeof a.resourceName !== 'string' || a.resourceName === '') {
    throw new ConfigError(`${at}.resourceName: must be a non-empty name`, { field: `${at}.resourceName` });
  }
  if (a.patternType !== 'LITERAL') {
    throw new ConfigError(`${at}.patternType: must be LITERAL (prefixed ACLs are not managed)`, { field: `${at}.patternType` });
  }
  if (typeof a.principal !== 'string' || !PRINCIPAL.test(a.principal)) {
    throw new ConfigError(`${at}.principal: must be User:<name>, got ${String(a.principal)}`, { field: `${at}.principal` });
  }
  if (typeof a.host !== 'string' || a.host === '') {
    throw new ConfigError(`${at}.host: must be a host or *`, { field: `${at}.host` });
  }
  if (!OPERATION_NAMES.has(OPERATIONS[a.operation] ?? -1)) {
    throw new ConfigError(`${at}.operation: ${String(a.operation)} is not a Kafka ACL operation`, { field: `${at}.operation` });
  }
  if (a.permission !== 'ALLOW' && a.permission !== 'DENY') {
    throw new ConfigError(`${at}.permission: must be ALLOW or DENY`, { field: `${at}.permission` });
  }
  return {
    resourceType: a.resourceType,
    resourceName: a.resourceName,
    patternType: a.patternType,
    principal: a.principal,
    host: a.host,
    operation: a.operation,
    permission: a.permission,
  };
}

/** The Kafka driver under a stream client. @throws `UnsupportedError` when the client is not on Kafka. */
function kafkaDriver(client: StreamClient | KafkaStreamClient): KafkaStreamClient {
  if (client instanceof KafkaStreamClient) return client;
  const driver = (client as { driverInstance?: unknown }).driverInstance;
  if (driver instanceof KafkaStreamClient) return driver;
  throw new UnsupportedError(`Kafka ACLs need a Kafka stream (kafka://host:port), not the ${client.target} target`, {
    target: client.target,
    field: 'stream',
  });
}

/** The Kafka error code (`type`) of a kafkajs error, looked up through its causes. */
function kafkaErrorType(e: unknown): string | undefined {
  let cur = e as { type?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown[] } | undefined;
  for (let i = 0; i < 8 && cur && typeof cur === 'object'; i++) {
    if (typeof cur.type === 'string') return cur.type;
    cur = (cur.cause ?? cur.originalError ?? cur.errors?.[0]) as typeof cur;
  }
  return undefined;
}

/** Maps an ACL call's failure; a cluster without an authorizer is told apart (it keeps no ACLs at all). */
function aclError(driver: KafkaStreamClient, e: unknown, op: string) {
  if (kafkaErrorType(e) === 'SECURITY_DISABLED') {
    return new UnsupportedError(
      `${op}: the cluster at ${driver.brokers.join(',')} has no authorizer (authorizer.class.name is not set), so it keeps no ACLs`,
      { target: driver.target, field: 'stream', cause: e },
    );
  }
  return driver.error(e, op);
}

function toEntry(a: KafkaAcl): AclEntry {
  return {
    resourceType: RESOURCE[a.resourceType],
    resourceName: a.resourceName,
    resourcePatternType: PATTERN.LITERAL,
    principal: a.principal,
    host: a.host,
    operation: OPERATIONS[a.operation] as AclOperationType,
    permissionType: a.permission === 'ALLOW' ? PERMISSION.ALLOW : PERMISSION.DENY,
  };
}

/** The `LITERAL` ACLs on one resource, as the cluster holds them. */
async function describeResource(admin: Admin, resourceType: KafkaAclResourceType, resourceName: string): Promise<KafkaAcl[]> {
  const { resources } = await admin.describeAcls({
    resourceType: RESOURCE[resourceType],
    resourceName,
    resourcePatternType: PATTERN.LITERAL,
    operation: OPERATION.ANY,
    permissionType: PERMISSION.ANY,
  });
  const out: KafkaAcl[] = [];
  for (const r of resources) {
    if (r.resourceName !== resourceName || r.resourcePatternType !== PATTERN.LITERAL) continue;
    for (const e of r.acls) {
      const operation = OPERATION_NAMES.get(e.operation);
      const permission =
        e.permissionType === PERMISSION.ALLOW ? 'ALLOW' : e.permissionType === PERMISSION.DENY ? 'DENY' : undefined;
      if (!operation || !permission) continue;
      out.push({
        resourceType,
        resourceName,
        patternType: 'LITERAL',
        principal: e.principal,
        host: e.host,
        operation,
        permission,
      });
    }
  }
  return out;
}

/**
 * The `LITERAL` ACLs the cluster holds on the scope's topics and groups, sorted.
 * @throws `AuthError` when the client may not describe ACLs, `UnsupportedError` when it is not on Kafka.
 */
export async function describeKafkaAcls(client: StreamClient | KafkaStreamClient, scope: KafkaAclScope): Promise<KafkaAcl[]> {
  const driver = kafkaDriver(client);
  driver.check();
  const admin = driver.kafkajsAdmin();
  const resources: [KafkaAclResourceType, string][] = [
    ...[...new Set(scope.topics)].map((t): [KafkaAclResourceType, string] => ['topic', t]),
    ...[...new Set(scope.groups)].map((g): [KafkaAclResourceType, string] => ['group', g]),
  ];
  try {
    const lists = await Promise.all(resources.map(([type, name]) => describeResource(admin, type, name)));
    return lists.flat().sort(compare);
  } catch (e) {
    throw aclError(driver, e, 'describe ACLs');
  }
}

/**
 * Makes the cluster hold the `desired` ACLs: creates the missing ones and, with `prune`, deletes the ACLs
 * on the managed resources (the scope plus the desired ACLs' resources) that are not desired. Idempotent.
 * @example
 * ```ts
 * import { connect } from '@speedlayer/core';
 * import { applyKafkaAcls } from '@speedlayer/kafka';
 * const client = await connect('kafka://127.0.0.1:9096?tls=true&caFile=/ca.pem&sasl=scram-sha-512&username=admin&password=env:PW');
 * const acl = { resourceType: 'topic', resourceName: 'orders', patternType: 'LITERAL', principal: 'User:orders-api',
 *   host: '*', operation: 'WRITE', permission: 'ALLOW' } as const;
 * const { created, unchanged } = await applyKafkaAcls(client, [acl], { prune: true });
 * ```
 * @throws `ConfigError` naming the field of a malformed ACL, `AuthError` when the client may not alter ACLs,
 * `UnsupportedError` when the client is not on Kafka.
 */
export async function applyKafkaAcls(
  client: StreamClient | KafkaStreamClient,
  desired: readonly KafkaAcl[],
  options: ApplyKafkaAclsOptions = {},
): Promise<KafkaAclChanges> {
  const wanted = new Map(desired.map((a, i) => checkAcl(a, i)).map((a) => [kafkaAclKey(a), a]));
  const scope: KafkaAclScope = {
    topics: [
      ...(options.scope?.topics ?? []),
      ...[...wanted.values()].filter((a) => a.resourceType === 'topic').map((a) => a.resourceName),
    ],
    groups: [
      ...(options.scope?.groups ?? []),
      ...[...wanted.values()].filter((a) => a.resourceType === 'group').map((a) => a.resourceName),
    ],
  };
  const driver = kafkaDriver(client);
  const existing = await describeKafkaAcls(driver, scope);
  const admin = driver.kafkajsAdmin();
  const have = new Set(existing.map(kafkaAclKey));
  const created = [...wanted.values()].filter((a) => !have.has(kafkaAclKey(a))).sort(compare);
  const unchanged = [...wanted.values()].filter((a) => have.has(kafkaAclKey(a))).sort(compare);
  const deleted = options.prune ? existing.filter((a) => !wanted.has(kafkaAclKey(a))) : [];
  if (options.dryRun) return { created, deleted, unchanged };
  try {
    if (created.length > 0) await admin.createAcls({ acl: created.map(toEntry) });
  } catch (e) {
    throw aclError(driver, e, 'create ACLs');
  }
  try {
    if (deleted.length > 0) await admin.deleteAcls({ filters: deleted.map(toEntry) });
  } catch (e) {
    throw aclError(driver, e, 'delete ACLs');
  }
  return { created, deleted, unchanged };
}
