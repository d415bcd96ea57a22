/**
 * IaC for `azure-eventhubs-aks`: Terraform for the Event Hubs namespace and hub (partitions, TLS 1.2 minimum, local
 * auth off, public access off, private endpoint, customer-managed key), consumer groups, the Blob checkpoint store
 * (CMK, no shared keys, private endpoint), Key Vault, AKS (private cluster, workload identity, network policy, Azure
 * RBAC, audit logs to Log Analytics) and the federated worker identity with data-plane roles scoped to the hub and
 * the checkpoint container; plus the Kubernetes worker manifests.
 *
 * @packageDocumentation
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: this file writes IaC text whose ${...} are HCL, CloudFormation or envsubst placeholders, not JS templates
import {
  aksWorkerNodes,
  assertNoSecretValues,
  azureAksCluster,
  azureFoundation,
  azureNameSuffix,
  azurePlatformVariables,
  azurePrincipalIdentities,
  azurePrivateDnsZone,
  azurePrivateEndpoint,
  block,
  dataSource,
  eventHubKedaTrigger,
  expr,
  fileHeader,
  type GrantPrincipal,
  type HclBlock,
  k8sFiles,
  kedaPodIdentity,
  nested,
  output,
  principalServiceAccounts,
  resource,
  terraformFiles,
  tmpl,
  variable,
  workloadIdentityAnnotations,
  workloadIdentityPodLabels,
} from '@speedlayer/iac';
import {
  accessPrincipals,
  deadLetterTopicName,
  type EmitContext,
  type EmitScope,
  type EmittedFile,
  type PlanInput,
  type TargetPlan,
  workerGroups,
} from '@speedlayer/planner';

interface Model {
  name: string;
  /** Dead-letter event hub (`<hub>.dlq`). */
  dlq: string;
  scope: EmitScope;
  /** Blob container of the checkpoints (one per workload in an existing account in `workload` scope). */
  checkpointContainer: string;
  compact: string;
  storageName: string;
  vaultName: string;
  namespace: string;
  groups: string[];
  /** Principals of the workload's access block (one managed identity each). */
  principals: GrantPrincipal[];
  /** Groups that run as the shared worker identity; `undefined` when every group runs as its access principal. */
  workerGroups: string[] | undefined;
  tier: string;
  units: number;
  partitions: number;
  retentionDays: number;
  cmk: boolean;
  location: string;
  vnetCidr: string;
  k8sVersion: string;
  nodesMin: number;
  nodesMax: number;
}

const nodes = (n: { min: number; max: number }) => ({ nodesMin: n.min, nodesMax: n.max });

function model(plan: TargetPlan, input: PlanInput, scope: EmitScope): Model {
  const c = plan.capacity;
  const w = input.workload;
  return {
    name: w.name,
    dlq: deadLetterTopicName(w.name),
    scope,
    checkpointContainer: scope === 'full' ? 'checkpoints' : `${w.name.replace(/[^a-z0-9]/g, '').slice(0, 14)}-checkpoints`,
    compact: w.name.replace(/[^a-z0-9]/g, '').slice(0, 14),
    storageName: `${w.name.replace(/[^a-z0-9]/g, '').slice(0, 14)}ckpt${azureNameSuffix(w.name)}`,
    vaultName: `${w.name.replace(/[^a-z0-9]/g, '').slice(0, 14)}kv${azureNameSuffix(w.name)}`,
    namespace: w.deploy.namespace ?? w.name,
    groups: [...input.load.groups],
    principals: accessPrincipals(w.access),
    workerGroups: workerGroups(w, input.load),
    tier: String(c.tier),
    units: Number(c.throughputUnits ?? c.processingUnits ?? c.capacityUnits ?? 1),
    partitions: Number(c.partitions),
    retentionDays: Number(c.retentionDays),
    cmk: c.customerManagedKey === true,
    location: String(c.location),
    vnetCidr: String(c.vnetCidr),
    k8sVersion: String(c.kubernetesVersion),
    ...nodes(aksWorkerNodes(plan.replicas.min * w.consumerGroups, plan.replicas.max * w.consumerGroups, w.processing.cpu)),
  };
}

/** Versions, provider, shared variables of both scopes. */
function preamble(m: Model): HclBlock[] {
  return [
    block('terraform', [], {
      required_version: '>= 1.6.0',
      // 4.42 is the first release with every attribute used here (key vault rbac_authorization_enabled).
      required_providers: nested({ azurerm: { source: 'hashicorp/azurerm', version: '>= 4.42.0' } } as never),
    }),
    block('provider', ['azurerm'], { features: nested({}), storage_use_azuread: true }),
    variable('name', { type: expr('string'), default: m.name, description: 'Workload name (resource prefix).' }),
    variable('tags', {
      type: expr('map(string)'),
      default: { workload: m.name, 'managed-by': 'speedlayer' },
      description: 'Tags on every resource.',
    }),
    variable('keda_namespace', {
      type: expr('string'),
      default: 'keda',
      description: 'Namespace of the KEDA operator (service account keda-operator).',
    }),
  ];
}

/** The workload's own resources: hub and dead-letter hub, consumer groups, identities and their grants. */
function workloadBlocks(m: Model): HclBlock[] {
  const full = m.scope === 'full';
  const ns = full
    ? { id: 'azurerm_eventhub_namespace.this.id', name: 'azurerm_eventhub_namespace.this.name' }
    : { id: 'var.eventhub_namespace_id', name: 'var.eventhub_namespace_name' };
  const rg = full ? 'azurerm_resource_group.this' : 'data.azurerm_resource_group.this';
  const issuer = full ? 'azurerm_kubernetes_cluster.this.oidc_issuer_url' : 'var.oidc_issuer_url';
  const kedaPrincipal = full ? 'azurerm_user_assigned_identity.keda.principal_id' : 'var.keda_principal_id';
  const worker = 'azurerm_user_assigned_identity.worker.principal_id';
  const hub = (name: string, id: string, partitions: number) =>
    resource('azurerm_eventhub', id, {
      name,
      namespace_id: expr(ns.id),
      partition_count: partitions,
      message_retention: m.retentionDays,
    });
  const grant = (id: string, scope: string, role: string, principal: string) =>
    resource('azurerm_role_assignment', id, { scope: expr(scope), role_definition_name: role, principal_id: expr(principal) });
  const blocks: HclBlock[] = [
    hub(m.name, 'this', m.partitions),
    // Dead letters are few: a handful of partitions, so the namespace's partition budget stays with the hub.
    hub(m.dlq, 'dead_letter', Math.min(m.partitions, DEAD_LETTER_PARTITIONS)),
    resource('azurerm_eventhub_consumer_group', 'groups', {
      for_each: expr(`toset(${JSON.stringify(m.groups).replace(/,/g, ', ')})`),
      name: expr('each.value'),
      namespace_name: expr(ns.name),
      eventhub_name: expr('azurerm_eventhub.this.name'),
      resource_group_name: expr(`${rg}.name`),
    }),
  ];
  if (!full) {
    blocks.push(
      resource(
        'azurerm_storage_container',
        'checkpoints',
        {
          name: m.checkpointContainer,
          storage_account_id: expr('var.checkpoint_storage_account_id'),
          container_access_type: 'private',
        },
        [
          {
            id: 'CKV2_AZURE_21',
            reason:
              'the container lives in the existing storage account var.checkpoint_storage_account_id, whose blob read/write/delete logging belongs to that account (full scope emits it as a diagnostic setting); storage insights needs an account key, and shared keys are off',
          },
        ],
      ),
    );
  }
  blocks.push(
    // The shared worker identity only when some group runs as it (Event Hubs roles scope to the hub, not a group).
    ...(m.workerGroups
      ? [
          resource('azurerm_user_assigned_identity', 'worker', {
            name: tmpl('${var.name}-worker'),
            location: expr(`${rg}.location`),
            resource_group_name: expr(`${rg}.name`),
            tags: expr('var.tags'),
          }),
          resource('azurerm_federated_identity_credential', 'worker', {
            name: tmpl('${var.name}-worker'),
            resource_group_name: expr(`${rg}.name`),
            parent_id: expr('azurerm_user_assigned_identity.worker.id'),
            audience: ['api://AzureADTokenExchange'],
            issuer: expr(issuer),
            subject: `system:serviceaccount:${m.namespace}:${m.name}-worker`,
          }),
          grant('worker_eventhub', 'azurerm_eventhub.this.id', 'Azure Event Hubs Data Receiver', worker),
          // Dead letters: the worker publishes to <hub>.dlq and can read them back.
          grant('worker_dead_letter_send', 'azurerm_eventhub.dead_letter.id', 'Azure Event Hubs Data Sender', worker),
          grant('worker_dead_letter_read', 'azurerm_eventhub.dead_letter.id', 'Azure Event Hubs Data Receiver', worker),
          grant('worker_checkpoints', 'azurerm_storage_container.checkpoints.id', 'Storage Blob Data Contributor', worker),
        ]
      : []),
    // KEDA's azure-workload identity reads the hub's partitions and the consumers' checkpoints to compute lag.
    grant('keda_eventhub', 'azurerm_eventhub.this.id', 'Azure Event Hubs Data Receiver', kedaPrincipal),
    grant('keda_checkpoints', 'azurerm_storage_container.checkpoints.id', 'Storage Blob Data Reader', kedaPrincipal),
    // Access as code: one federated managed identity per principal, data-plane roles scoped to the hubs.
    ...azurePrincipalIdentities({
      principals: m.principals,
      resourceGroup: rg,
      issuer,
      namespace: m.namespace,
      grants: (p) => [
        ...(p.produces ? [{ id: 'send', role: 'Azure Event Hubs Data Sender', scope: 'azurerm_eventhub.this.id' }] : []),
        ...(p.groups.length > 0
          ? [
              { id: 'receive', role: 'Azure Event Hubs Data Receiver', scope: 'azurerm_eventhub.this.id' },
              { id: 'checkpoints', role: 'Storage Blob Data Contributor', scope: 'azurerm_storage_container.checkpoints.id' },
              { id: 'dead_letter_send', role: 'Azure Event Hubs Data Sender', scope: 'azurerm_eventhub.dead_letter.id' },
            ]
          : []),
      ],
    }),
    ...(m.workerGroups
      ? [
          output('worker_client_id', {
            value: expr('azurerm_user_assigned_identity.worker.client_id'),
            description: 'WORKER_CLIENT_ID of the manifests.',
          }),
        ]
      : []),
  );
  if (full) {
    blocks.push(
      resource('azurerm_user_assigned_identity', 'keda', {
        name: tmpl('${var.name}-keda'),
        location: expr(`${rg}.location`),
        resource_group_name: expr(`${rg}.name`),
        tags: expr('var.tags'),
      }),
      resource('azurerm_federated_identity_credential', 'keda', {
        name: tmpl('${var.name}-keda'),
        resource_group_name: expr(`${rg}.name`),
        parent_id: expr('azurerm_user_assigned_identity.keda.id'),
        audience: ['api://AzureADTokenExchange'],
        issuer: expr(issuer),
        subject: tmpl('system:serviceaccount:${var.keda_namespace}:keda-operator'),
      }),
      output('keda_client_id', {
        value: expr('azurerm_user_assigned_identity.keda.client_id'),
        description: 'Install KEDA with this workload identity (podIdentity.azureWorkload.clientId).',
      }),
    );
  }
  return blocks;
}

/** `workload` scope: the workload's resources in an existing resource group, Event Hubs namespace and AKS cluster. */
function terraformWorkload(m: Model): HclBlock[] {
  return [
    ...preamble(m),
    variable('resource_group_name', {
      type: expr('string'),
      description: 'Existing resource group of the Event Hubs namespace (the workload identities are created there too).',
    }),
    variable('eventhub_namespace_id', { type: expr('string'), description: 'Existing Event Hubs namespace (resource id).' }),
    variable('eventhub_namespace_name', { type: expr('string'), description: 'Existing Event Hubs namespace (name).' }),
    variable('checkpoint_storage_account_id', {
      type: expr('string'),
      description: 'Existing storage account of the blob checkpoints (a container per workload is created in it).',
    }),
    variable('oidc_issuer_url', { type: expr('string'), description: 'OIDC issuer URL of the existing AKS cluster.' }),
    variable('keda_principal_id', {
      type: expr('string'),
      description: "Principal id of the cluster's KEDA operator identity (it reads the hub and the checkpoints for lag).",
    }),
    dataSource('azurerm_resource_group', 'this', { name: expr('var.resource_group_name') }),
    ...workloadBlocks(m),
  ];
}

/** `full` scope: resource group, Key Vault + CMK, Event Hubs namespace, checkpoint storage, AKS, logs, and the workload. */
function terraform(m: Model): HclBlock[] {
  if (m.scope === 'workload') return terraformWorkload(m);
  const sku = m.tier === 'dedicated' ? 'Premium' : m.tier[0]!.toUpperCase() + m.tier.slice(1);
  const blocks: HclBlock[] = [
    ...preamble(m),
    ...azurePlatformVariables(m.location),
    ...azureFoundation({ vaultName: m.vaultName }),
    resource('azurerm_eventhub_namespace', 'this', {
      name: tmpl('${var.name}-ehns'),
      location: expr('azurerm_resource_group.this.location'),
      resource_group_name: expr('azurerm_resource_group.this.name'),
      sku: sku,
      capacity: m.tier === 'dedicated' ? undefined : m.units,
      dedicated_cluster_id: m.tier === 'dedicated' ? expr('azurerm_eventhub_cluster.this[0].id') : undefined,
      local_authentication_enabled: false,
      public_network_access_enabled: false,
      minimum_tls_version: '1.2',
      auto_inflate_enabled: m.tier === 'standard' ? false : undefined,
      identity: nested({ type: 'UserAssigned', identity_ids: [expr('azurerm_user_assigned_identity.encryption.id')] }),
      network_rulesets: nested({
        default_action: 'Deny',
        public_network_access_enabled: false,
        trusted_service_access_enabled: true,
      }),
      tags: expr('local.tags'),
    }),
  ];
  if (m.tier === 'dedicated') {
    blocks.push(
      resource('azurerm_eventhub_cluster', 'this', {
        count: 1,
        name: tmpl('${var.name}-ehcluster'),
        location: expr('azurerm_resource_group.this.location'),
        resource_group_name: expr('azurerm_resource_group.this.name'),
        sku_name: `Dedicated_${m.units}`,
        tags: expr('local.tags'),
      }),
    );
  }
  if (m.cmk) {
    blocks.push(
      resource('azurerm_eventhub_namespace_customer_managed_key', 'this', {
        eventhub_namespace_id: expr('azurerm_eventhub_namespace.this.id'),
        key_vault_key_ids: [expr('azurerm_key_vault_key.this.versionless_id')],
        user_assigned_identity_id: expr('azurerm_user_assigned_identity.encryption.id'),
        infrastructure_encryption_enabled: true,
        depends_on: [expr('azurerm_role_assignment.encryption_key')],
      }),
    );
  }
  blocks.push(
    ...azurePrivateDnsZone('eventhubs', 'privatelink.servicebus.windows.net'),
    azurePrivateEndpoint('eventhubs', 'azurerm_eventhub_namespace.this.id', 'namespace', 'eventhubs'),
    resource('azurerm_storage_account', 'checkpoints', {
      name: m.storageName,
      location: expr('azurerm_resource_group.this.location'),
      resource_group_name: expr('azurerm_resource_group.this.name'),
      account_tier: 'Standard',
      account_replication_type: 'GZRS',
      account_kind: 'StorageV2',
      min_tls_version: 'TLS1_2',
      https_traffic_only_enabled: true,
      allow_nested_items_to_be_public: false,
      public_network_access_enabled: false,
      shared_access_key_enabled: false,
      default_to_oauth_authentication: true,
      infrastructure_encryption_enabled: true,
      local_user_enabled: false,
      identity: nested({ type: 'UserAssigned', identity_ids: [expr('azurerm_user_assigned_identity.encryption.id')] }),
      customer_managed_key: nested({
        key_vault_key_id: expr('azurerm_key_vault_key.this.versionless_id'),
        user_assigned_identity_id: expr('azurerm_user_assigned_identity.encryption.id'),
      }),
      network_rules: nested({ default_action: 'Deny', bypass: ['AzureServices'] }),
      sas_policy: nested({ expiration_period: '00.01:00:00', expiration_action: 'Log' }),
      blob_properties: nested({
        versioning_enabled: true,
        delete_retention_policy: nested({ days: 7 }),
        container_delete_retention_policy: nested({ days: 7 }),
      }),
      queue_properties: nested({
        logging: nested({ delete: true, read: true, write: true, version: '1.0', retention_policy_days: 30 }),
      }),
      tags: expr('local.tags'),
      depends_on: [expr('azurerm_role_assignment.encryption_key')],
    }),
    resource(
      'azurerm_storage_container',
      'checkpoints',
      {
        name: 'checkpoints',
        storage_account_id: expr('azurerm_storage_account.checkpoints.id'),
        container_access_type: 'private',
      },
      [CHECKPOINT_LOGGING_SKIP],
    ),
    ...azurePrivateDnsZone('blob', 'privatelink.blob.core.windows.net'),
    azurePrivateEndpoint('blob', 'azurerm_storage_account.checkpoints.id', 'blob', 'blob'),
    ...azureAksCluster({ kubernetesVersion: m.k8sVersion, workerNodes: { min: m.nodesMin, max: m.nodesMax } }),
    resource('azurerm_monitor_diagnostic_setting', 'checkpoint_blobs', {
      name: 'checkpoint-blob-logs',
      target_resource_id: tmpl('${azurerm_storage_account.checkpoints.id}/blobServices/default'),
      log_analytics_workspace_id: expr('azurerm_log_analytics_workspace.this.id'),
      enabled_log: [
        nested({ category: 'StorageRead' }),
        nested({ category: 'StorageWrite' }),
        nested({ category: 'StorageDelete' }),
      ],
      enabled_metric: nested({ category: 'Transaction' }),
    }),
    resource('azurerm_monitor_diagnostic_setting', 'eventhubs', {
      name: 'eventhubs-logs',
      target_resource_id: expr('azurerm_eventhub_namespace.this.id'),
      log_analytics_workspace_id: expr('azurerm_log_analytics_workspace.this.id'),
      enabled_log: nested({ category_group: 'allLogs' }),
      enabled_metric: nested({ category: 'AllMetrics' }),
    }),
    output('eventhubs_namespace', { value: expr('azurerm_eventhub_namespace.this.name') }),
    output('checkpoint_storage_account', { value: expr('azurerm_storage_account.checkpoints.name') }),
    ...workloadBlocks(m),
  );
  return blocks;
}

/** Partitions of the dead-letter hub (at most the hub's). */
const DEAD_LETTER_PARTITIONS = 4;

/** A justified checkov suppression: the checkpoint container's blob logging is on through a diagnostic setting. */
const CHECKPOINT_LOGGING_SKIP = {
  id: 'CKV2_AZURE_21',
  reason:
    'blob read/write/delete logging is on through azurerm_monitor_diagnostic_setting.checkpoint_blobs (StorageRead/Write/Delete to Log Analytics); the legacy storage insights resource this check wants needs an account key, and shared keys are disabled',
};

/** Emits Terraform and Kubernetes manifests for a feasible plan. */
export function emitEventHubsAks(plan: TargetPlan, input: PlanInput, context: EmitContext): EmittedFile[] {
  const m = model(plan, input, context.scope ?? 'full');
  const w = input.workload;
  const header = fileHeader({ generator: context.generator, workload: m.name, target: plan.target });
  const k8s = k8sFiles(
    {
      name: m.name,
      namespace: m.namespace,
      target: plan.target,
      image: w.deploy.image,
      handler: w.deploy.handler,
      streamUri: 'eventhubs://${EVENTHUBS_NAMESPACE}',
      topic: m.name,
      partitions: m.partitions,
      groups: m.groups.map((g) => ({ name: g, replicas: plan.replicas })),
      resources: { cpu: w.processing.cpu, memoryMiB: w.processing.memoryMiB },
      serviceAccountAnnotations: workloadIdentityAnnotations('azure', '${WORKER_CLIENT_ID}'),
      groupServiceAccounts: principalServiceAccounts(m.principals, 'azure', 'CLIENT_ID'),
      podLabels: workloadIdentityPodLabels('azure'),
      config: {
        SPEEDLAYER_CHECKPOINT_STORE: `https://\${CHECKPOINT_STORAGE_ACCOUNT}.blob.core.windows.net/${m.checkpointContainer}`,
        EVENTHUBS_NAMESPACE: '${EVENTHUBS_NAMESPACE}',
        CHECKPOINT_STORAGE_ACCOUNT: '${CHECKPOINT_STORAGE_ACCOUNT}',
      },
      kedaPodIdentity: kedaPodIdentity('azure'),
      kedaTrigger: (g) =>
        eventHubKedaTrigger({
          eventHubNamespace: '${EVENTHUBS_NAMESPACE}',
          eventHubName: m.name,
          consumerGroup: g.name,
          unprocessedEventThreshold: 64,
          storageAccountName: '${CHECKPOINT_STORAGE_ACCOUNT}',
          blobContainer: m.checkpointContainer,
        }),
      egress: [
        {
          cidrs: [m.vnetCidr],
          ports: [5671, 443],
          why: 'Event Hubs private endpoint: AMQP over TLS (5671) and AMQP/WebSockets, Blob checkpoints (443)',
        },
        { cidrs: [m.vnetCidr], ports: [9093], why: 'Event Hubs Kafka endpoint over TLS (9093)' },
        {
          cidrs: ['0.0.0.0/0'],
          ports: [443],
          why: 'Entra ID token endpoint (login.microsoftonline.com, public, no fixed range) for the workload identity token exchange; the UDR egress firewall narrows it by FQDN',
        },
      ],
      scope: m.scope,
    },
    header,
  );
  const files: EmittedFile[] = [
    ...terraformFiles(terraform(m), header).map((f) => ({ ...f, kind: 'terraform' as const })),
    ...k8s.map((f) => ({ ...f, kind: 'kubernetes' as const })),
  ];
  for (const f of files) assertNoSecretValues(f.path, f.content);
  return files;
}
