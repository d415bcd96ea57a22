/**
 * IaC for `azure-kafka-aks`: the AKS cluster Terraform shared with the other AKS targets (`@speedlayer/iac`), a
 * dedicated Kafka node pool and a KRaft controller pool across three zones, the Strimzi operator as a pinned Helm
 * release, and the Strimzi custom resources: `Kafka` (KRaft, one TLS listener with SCRAM-SHA-512, simple
 * authorization, rack awareness), `KafkaNodePool`s (controllers; brokers one pool per zone), `KafkaTopic`s (the
 * workload's topic and `<topic>.dlq`), `KafkaUser`s whose ACLs come from the workload's `access` block
 * ({@link kafkaAclBindings}); plus the workers with a KEDA Kafka scaler (max replicas = partitions).
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
  dnsEgressRule,
  expr,
  fileHeader,
  type HclBlock,
  type K8sObject,
  KAFKA_CA_FILE,
  KAFKA_PASSWORD_FILE,
  k8sFilesOf,
  kedaPodIdentity,
  nested,
  output,
  principalKafkaWorkers,
  resource,
  terraformFiles,
  variable,
  writeK8sYaml,
} from '@speedlayer/iac';
import {
  type EmitContext,
  type EmitScope,
  type EmittedFile,
  type KafkaAclBinding,
  type KafkaWorkloadModel,
  kafkaWorkloadModel,
  type PlanInput,
  type TargetPlan,
} from '@speedlayer/planner';
import { CONTROLLER_VM, STRIMZI_VERSION } from './limits.js';

/** The TLS listener port of the brokers (SCRAM-SHA-512). */
export const KAFKA_TLS_PORT = 9093;

/** Storage class of the Kafka volumes: Premium SSD encrypted with the cluster's customer-managed key. */
export const KAFKA_STORAGE_CLASS = 'kafka-premium-cmk';

/** Partitions of the dead-letter topic (at most the topic's). */
const DEAD_LETTER_PARTITIONS = 4;

interface Model extends KafkaWorkloadModel {
  /** Strimzi `Kafka` resource name (and `strimzi.io/cluster` label). */
  cluster: string;
  replicationFactor: number;
  brokerVm: string;
  brokersPerZone: number;
  storageGiB: number;
  controllers: number;
  location: string;
  vaultName: string;
  nodes: { min: number; max: number };
}

function model(plan: TargetPlan, input: PlanInput, scope: EmitScope): Model {
  const c = plan.capacity;
  const w = input.workload;
  const compact = w.name.replace(/[^a-z0-9]/g, '').slice(0, 14);
  return {
    ...kafkaWorkloadModel(plan, input, scope),
    cluster: w.name,
    replicationFactor: Number(c.replicationFactor),
    brokerVm: String(c.brokerVm),
    brokersPerZone: Number(c.brokersPerZone),
    storageGiB: Number(c.storageGiBPerBroker),
    controllers: Number(c.controllers),
    location: String(c.location),
    vaultName: `${compact}kv${azureNameSuffix(w.name)}`,
    nodes: aksWorkerNodes(plan.replicas.min * w.consumerGroups, plan.replicas.max * w.consumerGroups, w.processing.cpu),
  };
}

const strimziLabels = (m: Model, extra: Record<string, string> = {}) => ({
  'strimzi.io/cluster': m.cluster,
  'app.kubernetes.io/part-of': m.name,
  'app.kubernetes.io/managed-by': 'speedlayer',
  ...extra,
});

/** Pod template of the Kafka pods: on the dedicated Kafka nodes (taint tolerated), optionally pinned to one zone. */
function kafkaPodTemplate(m: Model, pool: 'kafka' | 'kraft', zone?: number): Record<string, unknown> {
  const terms: Record<string, unknown>[] = [{ key: 'speedlayer.dev/pool', operator: 'In', values: [pool] }];
  if (zone !== undefined) terms.push({ key: 'topology.kubernetes.io/zone', operator: 'In', values: [`${m.location}-${zone}`] });
  return {
    pod: {
      affinity: {
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: terms }] } },
      },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: pool, effect: 'NoSchedule' }],
    },
  };
}

/** Strimzi's ACL operation names for Kafka's. */
const STRIMZI_OPERATION = { WRITE: 'Write', READ: 'Read', DESCRIBE: 'Describe' } as const;

/** A principal's ACLs as Strimzi `KafkaUser` rules: one rule per resource, operations in binding order. */
function strimziAcls(bindings: readonly KafkaAclBinding[], principal: string): Record<string, unknown>[] {
  const rules = new Map<string, { resource: Record<string, string>; operations: string[] }>();
  for (const b of bindings.filter((x) => x.principal === `User:${principal}`)) {
    const key = `${b.resourceType}\u0000${b.resourceName}`;
    const rule = rules.get(key) ?? {
      resource: { type: b.resourceType, name: b.resourceName, patternType: b.patternType.toLowerCase() },
      operations: [],
    };
    rule.operations.push(STRIMZI_OPERATION[b.operation]);
    rules.set(key, rule);
  }
  return [...rules.values()].map((r) => ({ ...r, host: '*', type: 'allow' }));
}

/**
 * The Strimzi custom resources of a plan (`kafka.strimzi.io/v1`): in `full` scope the `Kafka` cluster and its
 * `KafkaNodePool`s, in both scopes the `KafkaTopic`s and `KafkaUser`s.
 */
export function strimziResources(plan: TargetPlan, input: PlanInput, scope: EmitScope = 'full'): K8sObject[] {
  return strimziObjects(model(plan, input, scope));
}

function strimziObjects(m: Model): K8sObject[] {
  const api = 'kafka.strimzi.io/v1';
  const meta = (name: string, extra: Record<string, string> = {}) => ({
    name,
    namespace: m.namespace,
    labels: strimziLabels(m, extra),
  });
  const volume = (size: string, kraftMetadata: boolean) => ({
    type: 'jbod',
    volumes: [
      {
        id: 0,
        type: 'persistent-claim',
        size,
        class: KAFKA_STORAGE_CLASS,
        deleteClaim: false,
        ...(kraftMetadata ? { kraftMetadata: 'shared' } : {}),
      },
    ],
  });
  const out: K8sObject[] = [];
  if (m.scope === 'full') {
    out.push({
      apiVersion: api,
      kind: 'Kafka',
      metadata: { ...meta(m.cluster), annotations: { 'strimzi.io/node-pools': 'enabled', 'strimzi.io/kraft': 'enabled' } },
      spec: {
        kafka: {
          listeners: [
            {
              name: 'tls',
              port: KAFKA_TLS_PORT,
              type: 'internal',
              tls: true,
              authentication: { type: 'scram-sha-512' },
              networkPolicyPeers: [
                { podSelector: { matchLabels: { 'app.kubernetes.io/name': m.name, 'app.kubernetes.io/component': 'worker' } } },
                { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'keda' } } },
              ],
            },
          ],
          authorization: { type: 'simple' },
          rack: { topologyKey: 'topology.kubernetes.io/zone' },
          config: {
            'default.replication.factor': m.replicationFactor,
            'min.insync.replicas': Math.min(2, m.replicationFactor),
            'offsets.topic.replication.factor': m.replicationFactor,
            'transaction.state.log.replication.factor': m.replicationFactor,
            'transaction.state.log.min.isr': Math.min(2, m.replicationFactor),
            'auto.create.topics.enable': false,
            'message.max.bytes': m.maxMessageBytes,
            'replica.fetch.max.bytes': m.maxMessageBytes,
          },
        },
        entityOperator: { topicOperator: {}, userOperator: {} },
      },
    });
    out.push({
      apiVersion: api,
      kind: 'KafkaNodePool',
      metadata: meta('controller'),
      spec: {
        replicas: m.controllers,
        roles: ['controller'],
        storage: volume('32Gi', true),
        resources: { requests: { cpu: '500m', memory: '2Gi' }, limits: { memory: '2Gi' } },
        template: kafkaPodTemplate(m, 'kraft'),
      },
    });
    for (const zone of [1, 2, 3]) {
      out.push({
        apiVersion: api,
        kind: 'KafkaNodePool',
        metadata: meta(`broker-z${zone}`),
        spec: {
          replicas: m.brokersPerZone,
          roles: ['broker'],
          storage: volume(`${m.storageGiB}Gi`, true),
          template: kafkaPodTemplate(m, 'kafka', zone),
        },
      });
    }
  }
  const topic = (name: string, topicName: string, partitions: number) => ({
    apiVersion: api,
    kind: 'KafkaTopic',
    metadata: meta(name),
    spec: {
      topicName,
      partitions,
      replicas: m.replicationFactor,
      config: {
        'retention.ms': m.retentionMs,
        'min.insync.replicas': Math.min(2, m.replicationFactor),
        'max.message.bytes': m.maxMessageBytes,
      },
    },
  });
  out.push(topic(m.name, m.name, m.partitions));
  out.push(topic(m.dlq.replace(/\./g, '-'), m.dlq, Math.min(m.partitions, DEAD_LETTER_PARTITIONS)));
  const principals = [...new Set(m.bindings.map((b) => b.principal.slice('User:'.length)))].sort();
  for (const p of principals) {
    out.push({
      apiVersion: api,
      kind: 'KafkaUser',
      metadata: meta(p),
      spec: {
        authentication: { type: 'scram-sha-512' },
        authorization: { type: 'simple', acls: strimziAcls(m.bindings, p) },
      },
    });
  }
  return out;
}

/** The stream URI of a group's workers: the TLS listener, the cluster CA, SCRAM-SHA-512 as the group's principal. */
function streamUri(m: Model, principal: string): string {
  const bootstrap = `${m.cluster}-kafka-bootstrap.${m.namespace}.svc:${KAFKA_TLS_PORT}`;
  return `kafka://${bootstrap}?tls=true&caFile=${KAFKA_CA_FILE}&sasl=scram-sha-512&username=${principal}&password=file:${KAFKA_PASSWORD_FILE}`;
}

/**
 * The workers: the shared manifests, with each group's Deployment running as its principal (the KafkaUser's
 * password file from its Secret and the cluster CA mounted) and one KEDA TriggerAuthentication per group reading lag with the
 * same credentials; the Strimzi pods get the egress they need under the namespace's default deny.
 */
function kubernetes(m: Model, input: PlanInput, plan: TargetPlan, header: string[]): EmittedFile[] {
  const w = input.workload;
  const bootstrap = `${m.cluster}-kafka-bootstrap.${m.namespace}.svc:${KAFKA_TLS_PORT}`;
  const { manifests, keda } = principalKafkaWorkers({
    name: m.name,
    namespace: m.namespace,
    target: plan.target,
    image: w.deploy.image,
    handler: w.deploy.handler,
    streamUri: `kafka://${bootstrap}?tls=true&caFile=/etc/kafka-ca/ca.crt`,
    topic: m.name,
    partitions: m.partitions,
    groups: m.groups,
    replicas: plan.replicas,
    resources: { cpu: w.processing.cpu, memoryMiB: w.processing.memoryMiB },
    serviceAccountAnnotations: {},
    kedaPodIdentity: kedaPodIdentity('azure'),
    lag: { bootstrapServers: bootstrap, sasl: 'scram_sha512' },
    egress: [{ cidrs: [m.vnetCidr], ports: [KAFKA_TLS_PORT], why: 'Kafka brokers: TLS listener with SCRAM-SHA-512 (9093)' }],
    scope: m.scope,
    caSecret: `${m.cluster}-cluster-ca-cert`,
    credentials: (principal) => ({ streamUri: streamUri(m, principal), username: principal, passwordSecret: principal }),
  });
  const platform: K8sObject[] = [];
  if (m.scope === 'full') {
    platform.push(
      {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: KAFKA_STORAGE_CLASS, labels: { 'app.kubernetes.io/managed-by': 'speedlayer' } },
        provisioner: 'disk.csi.azure.com',
        parameters: { skuName: 'Premium_LRS', diskEncryptionSetID: '${DISK_ENCRYPTION_SET_ID}', networkAccessPolicy: 'DenyAll' },
        reclaimPolicy: 'Retain',
        volumeBindingMode: 'WaitForFirstConsumer',
        allowVolumeExpansion: true,
      },
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: {
          name: `${m.cluster}-kafka-egress`,
          namespace: m.namespace,
          labels: strimziLabels(m),
          annotations: {
            'speedlayer.dev/why':
              "the namespace denies all egress; Strimzi's own NetworkPolicies cover ingress only: brokers, controllers and the entity operator reach each other, DNS and the API server (private cluster, in the VNet)",
          },
        },
        spec: {
          podSelector: { matchLabels: { 'strimzi.io/cluster': m.cluster } },
          policyTypes: ['Egress'],
          egress: [
            dnsEgressRule(),
            { to: [{ podSelector: { matchLabels: { 'strimzi.io/cluster': m.cluster } } }] },
            { to: [{ ipBlock: { cidr: m.vnetCidr } }], ports: [{ protocol: 'TCP', port: 443 }] },
          ],
        },
      },
    );
  }
  const files = [
    ...k8sFilesOf({ ...manifests, keda }, header, m.scope),
    ...(m.scope === 'full'
      ? [
          {
            path: 'kubernetes/05-kafka-platform.yaml',
            content: writeK8sYaml(platform, [
              ...header,
              'The Kafka volumes storage class (CMK disk encryption set from the Terraform output) and the Strimzi pods egress.',
            ]),
          },
        ]
      : []),
    {
      path: 'kubernetes/07-strimzi.yaml',
      content: writeK8sYaml(strimziObjects(m), [
        ...header,
        `Strimzi ${STRIMZI_VERSION} custom resources: apply after the operator (helm_release.strimzi) is running.`,
      ]),
    },
  ].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  return files.map((f) => ({ ...f, kind: 'kubernetes' as const }));
}

/** The Kafka node pools: brokers (tainted, spread over three zones) and the KRaft controllers. */
function kafkaNodePools(m: Model): HclBlock[] {
  const pool = (name: string, vm: string, count: number) =>
    resource('azurerm_kubernetes_cluster_node_pool', name, {
      name,
      kubernetes_cluster_id: expr('azurerm_kubernetes_cluster.this.id'),
      vm_size: vm,
      vnet_subnet_id: expr('var.aks_subnet_id'),
      auto_scaling_enabled: false,
      node_count: count,
      max_pods: 50,
      zones: ['1', '2', '3'],
      os_disk_type: 'Ephemeral',
      os_disk_size_gb: 64,
      host_encryption_enabled: true,
      node_labels: { 'speedlayer.dev/pool': name },
      node_taints: [`dedicated=${name}:NoSchedule`],
      tags: expr('local.tags'),
    });
  return [pool('kafka', m.brokerVm, m.brokersPerZone * 3), pool('kraft', CONTROLLER_VM, m.controllers)];
}

/** `full` scope Terraform: the shared AKS platform, the Kafka node pools and the pinned Strimzi operator. */
function terraform(m: Model): HclBlock[] {
  const kube = 'azurerm_kubernetes_cluster.this.kube_config[0]';
  return [
    block('terraform', [], {
      required_version: '>= 1.6.0',
      required_providers: nested({
        azurerm: { source: 'hashicorp/azurerm', version: '>= 4.42.0' },
        helm: { source: 'hashicorp/helm', version: '~> 2.17' },
      } as never),
    }),
    block('provider', ['azurerm'], { features: nested({}), storage_use_azuread: true }),
    block('provider', ['helm'], {
      kubernetes: nested({
        host: expr(`${kube}.host`),
        cluster_ca_certificate: expr(`base64decode(${kube}.cluster_ca_certificate)`),
        // Local accounts are off: the provider gets an Entra ID token through kubelogin (Azure CLI login).
        exec: nested({
          api_version: 'client.authentication.k8s.io/v1beta1',
          command: 'kubelogin',
          args: ['get-token', '--login', 'azurecli', '--server-id', '6dae42f8-4368-4678-94ff-3960e28e3630'],
        }),
      }),
    }),
    variable('name', { type: expr('string'), default: m.name, description: 'Workload name (resource prefix).' }),
    variable('tags', {
      type: expr('map(string)'),
      default: { workload: m.name, 'managed-by': 'speedlayer' },
      description: 'Tags on every resource.',
    }),
    ...azurePlatformVariables(m.location),
    ...azureFoundation({ vaultName: m.vaultName }),
    ...azureAksCluster({ kubernetesVersion: m.k8sVersion, workerNodes: m.nodes, extraNodePools: kafkaNodePools(m) }),
    resource('helm_release', 'strimzi', {
      name: 'strimzi-cluster-operator',
      repository: 'https://strimzi.io/charts/',
      chart: 'strimzi-kafka-operator',
      version: STRIMZI_VERSION,
      namespace: 'strimzi',
      create_namespace: true,
      atomic: true,
      wait: true,
      set: [
        // The operator watches every namespace so the workload namespace may be created after it; it acts only on
        // Strimzi resources. Narrow it with watchNamespaces once the namespaces exist.
        nested({ name: 'watchAnyNamespace', value: 'true' }),
        // Kafka pods meet the namespace's `restricted` Pod Security Standard.
        nested({ name: 'extraEnvs[0].name', value: 'STRIMZI_POD_SECURITY_PROVIDER_CLASS' }),
        nested({ name: 'extraEnvs[0].value', value: 'restricted' }),
      ],
      depends_on: [expr('azurerm_kubernetes_cluster_node_pool.workers')],
    }),
    output('disk_encryption_set_id', {
      value: expr('azurerm_disk_encryption_set.this.id'),
      description: 'DISK_ENCRYPTION_SET_ID of kubernetes/05-kafka-platform.yaml (the Kafka volumes storage class).',
    }),
    output('kafka_bootstrap', {
      value: `${m.cluster}-kafka-bootstrap.${m.namespace}.svc:${KAFKA_TLS_PORT}`,
      description: 'In-cluster bootstrap of the TLS listener (SCRAM-SHA-512).',
    }),
  ];
}

/** Emits Terraform, the Strimzi custom resources and the worker manifests for a feasible plan. */
export function emitKafkaAks(plan: TargetPlan, input: PlanInput, context: EmitContext): EmittedFile[] {
  const m = model(plan, input, context.scope ?? 'full');
  const header = fileHeader({ generator: context.generator, workload: m.name, target: plan.target });
  const files: EmittedFile[] = [
    ...(m.scope === 'full' ? terraformFiles(terraform(m), header).map((f) => ({ ...f, kind: 'terraform' as const })) : []),
    ...kubernetes(m, input, plan, header),
  ];
  for (const f of files) assertNoSecretValues(f.path, f.content);
  return files;
}
