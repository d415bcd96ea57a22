/**
 * IaC for the Confluent Cloud targets: Terraform with the pinned `confluentinc/confluent` provider (environment, Kafka
 * cluster of the planned type, the topic with `partitions_count` and its `<topic>.dlq`, a manager service account
 * with a cluster-admin role binding and API key, one service account + API key per principal of the access block and
 * their `confluent_kafka_acl`s from {@link kafkaAclBindings}), the AKS or GKE cluster shared with the other targets
 * (`@speedlayer/iac`), and the workers: each group authenticates over SASL_SSL PLAIN with its principal's API key,
 * the secret mounted as a file. No secret value is written: provider credentials are sensitive variables, API key
 * secrets leave Terraform only as a sensitive output.
 *
 * @packageDocumentation
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: this file writes IaC text whose ${...} are HCL or envsubst placeholders, not JS templates
import {
  aksWorkerNodes,
  assertNoSecretValues,
  azureAksCluster,
  azureFoundation,
  azureNameSuffix,
  azurePlatformVariables,
  block,
  dataSource,
  expr,
  fileHeader,
  gcpKmsGkeGrants,
  gcpKmsKey,
  gkeCluster,
  gkeVariables,
  type HclBlock,
  KAFKA_PASSWORD_FILE,
  k8sFilesOf,
  kedaPodIdentity,
  nested,
  output,
  principalKafkaWorkers,
  principalResourceName,
  resource,
  terraformFiles,
  tmpl,
  variable,
} from '@speedlayer/iac';
import {
  type EmitContext,
  type EmittedFile,
  type KafkaWorkloadModel,
  kafkaWorkloadModel,
  type PlanInput,
  type TargetPlan,
} from '@speedlayer/planner';
import { CONFLUENT_PROVIDER_VERSION } from './limits.js';
import type { ConfluentCompute } from './profile.js';

/** Partitions of the dead-letter topic (at most the topic's). */
const DEAD_LETTER_PARTITIONS = 4;

interface Model extends KafkaWorkloadModel {
  compute: ConfluentCompute;
  clusterType: string;
  units: number;
  cloud: string;
  region: string;
  nodes: { min: number; max: number };
  principals: string[];
}

function model(compute: ConfluentCompute, plan: TargetPlan, input: PlanInput, scope: 'full' | 'workload'): Model {
  const c = plan.capacity;
  const w = input.workload;
  const base = kafkaWorkloadModel(plan, input, scope);
  return {
    ...base,
    compute,
    clusterType: String(c.clusterType),
    units: Number(c.eckus ?? c.ckus ?? 1),
    cloud: String(c.cloud),
    region: String(c.region),
    nodes: aksWorkerNodes(plan.replicas.min * w.consumerGroups, plan.replicas.max * w.consumerGroups, w.processing.cpu),
    principals: [...new Set(base.bindings.map((b) => b.principal.slice('User:'.length)))].sort(),
  };
}

/** The deploy-time placeholder of a principal's API key id, e.g. `${ORDERS_API_API_KEY}`. */
export function apiKeyPlaceholder(principal: string): string {
  return `\${${principal.toUpperCase().replace(/-/g, '_')}_API_KEY}`;
}

/** The Kubernetes Secret holding a principal's API key secret (key `password`). */
export function apiSecretName(principal: string): string {
  return `${principal}-confluent`;
}

const cluster = (extra: Record<string, unknown> = {}) =>
  nested({ id: expr('confluent_kafka_cluster.this.id'), ...extra } as never);
const managerCredentials = () =>
  nested({ key: expr('confluent_api_key.manager.id'), secret: expr('confluent_api_key.manager.secret') });

/** The Confluent Cloud resources: environment, cluster, manager, topics, principals with API keys and ACLs. */
function confluentBlocks(m: Model): HclBlock[] {
  const typeBlock = m.clusterType === 'dedicated' ? { dedicated: nested({ cku: m.units }) } : { [m.clusterType]: nested({}) };
  const blocks: HclBlock[] = [
    variable('confluent_cloud_api_key', {
      type: expr('string'),
      sensitive: true,
      description: 'Confluent Cloud API key of the account that applies this module (or CONFLUENT_CLOUD_API_KEY).',
    }),
    variable('confluent_cloud_api_secret', {
      type: expr('string'),
      sensitive: true,
      description: 'Its secret (or CONFLUENT_CLOUD_API_SECRET); never written into a file.',
    }),
    resource('confluent_environment', 'this', {
      display_name: expr('var.name'),
      stream_governance: nested({ package: 'ESSENTIALS' }),
    }),
    resource('confluent_kafka_cluster', 'this', {
      display_name: expr('var.name'),
      availability: m.clusterType === 'basic' ? 'SINGLE_ZONE' : 'HIGH',
      cloud: m.cloud,
      region: m.region,
      ...typeBlock,
      environment: nested({ id: expr('confluent_environment.this.id') }),
    }),
    // The manager creates topics and ACLs; the workloads never use it.
    resource('confluent_service_account', 'manager', {
      display_name: tmpl('${var.name}-manager'),
      description: `Creates the ${m.name} topics and ACLs (Terraform only)`,
    }),
    resource('confluent_role_binding', 'manager', {
      principal: tmpl('User:${confluent_service_account.manager.id}'),
      role_name: 'CloudClusterAdmin',
      crn_pattern: expr('confluent_kafka_cluster.this.rbac_crn'),
    }),
    resource('confluent_api_key', 'manager', {
      display_name: tmpl('${var.name}-manager'),
      owner: nested({
        id: expr('confluent_service_account.manager.id'),
        api_version: expr('confluent_service_account.manager.api_version'),
        kind: expr('confluent_service_account.manager.kind'),
      }),
      managed_resource: nested({
        id: expr('confluent_kafka_cluster.this.id'),
        api_version: expr('confluent_kafka_cluster.this.api_version'),
        kind: expr('confluent_kafka_cluster.this.kind'),
        environment: nested({ id: expr('confluent_environment.this.id') }),
      }),
      depends_on: [expr('confluent_role_binding.manager')],
    }),
  ];
  for (const [id, topic, partitions] of [
    ['this', m.name, m.partitions],
    ['dead_letter', m.dlq, Math.min(m.partitions, DEAD_LETTER_PARTITIONS)],
  ] as const) {
    blocks.push(
      resource('confluent_kafka_topic', id, {
        kafka_cluster: cluster(),
        topic_name: topic,
        partitions_count: partitions,
        rest_endpoint: expr('confluent_kafka_cluster.this.rest_endpoint'),
        config: {
          'retention.ms': String(m.retentionMs),
          'max.message.bytes': String(m.maxMessageBytes),
          'cleanup.policy': 'delete',
        },
        credentials: managerCredentials(),
      }),
    );
  }
  for (const p of m.principals) {
    const id = principalResourceName(p);
    blocks.push(
      resource('confluent_service_account', id, {
        display_name: tmpl(`\${var.name}-${p}`),
        description: `access principal ${p} of ${m.name}`,
      }),
      resource('confluent_api_key', id, {
        display_name: tmpl(`\${var.name}-${p}`),
        owner: nested({
          id: expr(`confluent_service_account.${id}.id`),
          api_version: expr(`confluent_service_account.${id}.api_version`),
          kind: expr(`confluent_service_account.${id}.kind`),
        }),
        managed_resource: nested({
          id: expr('confluent_kafka_cluster.this.id'),
          api_version: expr('confluent_kafka_cluster.this.api_version'),
          kind: expr('confluent_kafka_cluster.this.kind'),
          environment: nested({ id: expr('confluent_environment.this.id') }),
        }),
      }),
    );
  }
  const perPrincipal = new Map<string, number>();
  for (const b of m.bindings) {
    const p = b.principal.slice('User:'.length);
    const n = (perPrincipal.get(p) ?? 0) + 1;
    perPrincipal.set(p, n);
    blocks.push(
      resource('confluent_kafka_acl', `${principalResourceName(p)}_${n}`, {
        kafka_cluster: cluster(),
        resource_type: b.resourceType.toUpperCase(),
        resource_name: b.resourceName,
        pattern_type: b.patternType,
        principal: tmpl(`User:\${confluent_service_account.${principalResourceName(p)}.id}`),
        host: b.host,
        operation: b.operation,
        permission: b.permission,
        rest_endpoint: expr('confluent_kafka_cluster.this.rest_endpoint'),
        credentials: managerCredentials(),
      }),
    );
  }
  blocks.push(
    output('confluent_bootstrap', {
      value: expr('trimprefix(confluent_kafka_cluster.this.bootstrap_endpoint, "SASL_SSL://")'),
      description: 'CONFLUENT_BOOTSTRAP of the manifests.',
    }),
    output('principal_api_key_ids', {
      value: Object.fromEntries(m.principals.map((p) => [p, expr(`confluent_api_key.${principalResourceName(p)}.id`)])),
      description: 'API key id per principal: the <PRINCIPAL>_API_KEY placeholders of the manifests (not secret).',
    }),
    output('principal_api_key_secrets', {
      value: Object.fromEntries(m.principals.map((p) => [p, expr(`confluent_api_key.${principalResourceName(p)}.secret`)])),
      sensitive: true,
      description:
        'API key secret per principal: store each as the Secret <principal>-confluent (key password), never in a file in git.',
    }),
  );
  return blocks;
}

function preamble(m: Model): HclBlock[] {
  const cloudProvider =
    m.compute === 'aks'
      ? { azurerm: { source: 'hashicorp/azurerm', version: '>= 4.42.0' } }
      : { google: { source: 'hashicorp/google', version: '>= 6.0.0' } };
  return [
    block('terraform', [], {
      required_version: '>= 1.6.0',
      required_providers: nested({
        confluent: { source: 'confluentinc/confluent', version: CONFLUENT_PROVIDER_VERSION },
        ...cloudProvider,
      } as never),
    }),
    block('provider', ['confluent'], {
      cloud_api_key: expr('var.confluent_cloud_api_key'),
      cloud_api_secret: expr('var.confluent_cloud_api_secret'),
    }),
    m.compute === 'aks'
      ? block('provider', ['azurerm'], { features: nested({}), storage_use_azuread: true })
      : block('provider', ['google'], {
          project: expr('var.project_id'),
          region: expr('var.region'),
          default_labels: expr('var.labels'),
        }),
    variable('name', { type: expr('string'), default: m.name, description: 'Workload name (resource prefix).' }),
  ];
}

/** The worker cluster: the same AKS or GKE stack the Event Hubs and Pub/Sub targets emit. */
function computeBlocks(m: Model): HclBlock[] {
  if (m.compute === 'aks') {
    const compact = m.name.replace(/[^a-z0-9]/g, '').slice(0, 14);
    return [
      variable('tags', {
        type: expr('map(string)'),
        default: { workload: m.name, 'managed-by': 'speedlayer' },
        description: 'Tags on every resource.',
      }),
      ...azurePlatformVariables(m.region),
      ...azureFoundation({ vaultName: `${compact}kv${azureNameSuffix(m.name)}` }),
      ...azureAksCluster({ kubernetesVersion: m.k8sVersion, workerNodes: m.nodes }),
    ];
  }
  return [
    variable('project_id', { type: expr('string'), description: 'Google Cloud project of the GKE cluster.' }),
    variable('region', { type: expr('string'), default: m.region, description: 'Region of the GKE cluster.' }),
    variable('labels', {
      type: expr('map(string)'),
      default: { workload: m.name, 'managed-by': 'speedlayer' },
      description: 'Labels on every resource (provider default_labels).',
    }),
    ...gkeVariables(m.vnetCidr),
    dataSource('google_project', 'this', { project_id: expr('var.project_id') }),
    ...gcpKmsKey(m.name),
    ...gcpKmsGkeGrants(),
    resource('google_project_iam_audit_config', 'audit', {
      project: expr('var.project_id'),
      service: 'container.googleapis.com',
      audit_log_config: [
        nested({ log_type: 'ADMIN_READ' }),
        nested({ log_type: 'DATA_READ' }),
        nested({ log_type: 'DATA_WRITE' }),
      ],
    }),
    ...gkeCluster({ name: m.name, nodesMax: m.nodes.max }),
  ];
}

function kubernetes(m: Model, input: PlanInput, plan: TargetPlan, header: string[]): EmittedFile[] {
  const w = input.workload;
  const { manifests, keda } = principalKafkaWorkers({
    name: m.name,
    namespace: m.namespace,
    target: plan.target,
    image: w.deploy.image,
    handler: w.deploy.handler,
    streamUri: 'kafka://${CONFLUENT_BOOTSTRAP}?tls=true',
    topic: m.name,
    partitions: m.partitions,
    groups: m.groups,
    replicas: plan.replicas,
    resources: { cpu: w.processing.cpu, memoryMiB: w.processing.memoryMiB },
    serviceAccountAnnotations: {},
    config: { CONFLUENT_BOOTSTRAP: '${CONFLUENT_BOOTSTRAP}' },
    kedaPodIdentity: kedaPodIdentity(m.compute === 'aks' ? 'azure' : 'gcp'),
    lag: { bootstrapServers: '${CONFLUENT_BOOTSTRAP}', sasl: 'plaintext' },
    egress: [
      {
        cidrs: ['0.0.0.0/0'],
        ports: [9092, 443],
        why: 'Confluent Cloud public endpoints (Kafka over TLS 9092, REST 443): no fixed address range; narrow it at the egress firewall by FQDN',
      },
    ],
    scope: m.scope,
    credentials: (p) => {
      const key = apiKeyPlaceholder(p);
      return {
        streamUri: `kafka://\${CONFLUENT_BOOTSTRAP}?tls=true&sasl=plain&username=${key}&password=file:${KAFKA_PASSWORD_FILE}`,
        username: key,
        passwordSecret: apiSecretName(p),
      };
    },
  });
  const files = k8sFilesOf(
    { ...manifests, keda },
    header,
    m.scope,
    'Each group reads as its principal: create the Secret <principal>-confluent (key password) from the Terraform output principal_api_key_secrets first.',
  );
  return files.map((f) => ({ ...f, kind: 'kubernetes' as const }));
}

/** Emits the Confluent Cloud Terraform, the worker cluster and the worker manifests for a feasible plan. */
export function emitConfluent(
  compute: ConfluentCompute,
  plan: TargetPlan,
  input: PlanInput,
  context: EmitContext,
): EmittedFile[] {
  const m = model(compute, plan, input, context.scope ?? 'full');
  const header = fileHeader({ generator: context.generator, workload: m.name, target: plan.target });
  const tf = [...preamble(m), ...(m.scope === 'full' ? computeBlocks(m) : []), ...confluentBlocks(m)];
  if (m.scope === 'workload' && m.compute === 'gke') {
    tf.push(variable('project_id', { type: expr('string'), description: 'Google Cloud project (provider default).' }));
    tf.push(variable('region', { type: expr('string'), default: m.region, description: 'Region.' }));
    tf.push(variable('labels', { type: expr('map(string)'), default: { workload: m.name }, description: 'Labels.' }));
  }
  const files: EmittedFile[] = [
    ...terraformFiles(tf, header).map((f) => ({ ...f, kind: 'terraform' as const })),
    ...kubernetes(m, input, plan, header),
  ];
  for (const f of files) assertNoSecretValues(f.path, f.content);
  return files;
}
