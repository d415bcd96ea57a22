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
  assertNoSecretValues,
  block,
  dataSource,
  eventHubKedaTrigger,
  expr,
  fileHeader,
  type HclBlock,
  k8sFiles,
  kedaPodIdentity,
  nested,
  output,
  resource,
  terraformFiles,
  tmpl,
  variable,
  workloadIdentityAnnotations,
  workloadIdentityPodLabels,
} from '@speedlayer/iac';
import {
  deadLetterTopicName,
  type EmitContext,
  type EmitScope,
  type EmittedFile,
  type PlanInput,
  type TargetPlan,
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

/** A short deterministic suffix (FNV-1a of the name) for globally unique Azure names. */
function suffix(name: string): string {
  let h = 0x811c9dc5;
  for (const ch of name) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36).padStart(6, '0').slice(0, 6);
}

function model(plan: TargetPlan, input: PlanInput, scope: EmitScope): Model {
  const c = plan.capacity;
  const w = input.workload;
  const cpu = (n: number) => n * w.consumerGroups * w.processing.cpu;
  return {
    name: w.name,
    dlq: deadLetterTopicName(w.name),
    scope,
    checkpointContainer: scope === 'full' ? 'checkpoints' : `${w.name.replace(/[^a-z0-9]/g, '').slice(0, 14)}-checkpoints`,
    compact: w.name.replace(/[^a-z0-9]/g, '').slice(0, 14),
    storageName: `${w.name.replace(/[^a-z0-9]/g, '').slice(0, 14)}ckpt${suffix(w.name)}`,
    vaultName: `${w.name.replace(/[^a-z0-9]/g, '').slice(0, 14)}kv${suffix(w.name)}`,
    namespace: w.deploy.namespace ?? w.name,
    groups: [...input.load.groups],
    tier: String(c.tier),
    units: Number(c.throughputUnits ?? c.processingUnits ?? c.capacityUnits ?? 1),
    partitions: Number(c.partitions),
    retentionDays: Number(c.retentionDays),
    cmk: c.customerManagedKey === true,
    location: String(c.location),
    vnetCidr: String(c.vnetCidr),
    k8sVersion: String(c.kubernetesVersion),
    nodesMin: Math.max(3, Math.ceil(cpu(plan.replicas.min) / 3.2)),
    nodesMax: Math.max(3, Math.ceil(cpu(plan.replicas.max) / 3.2)),
  };
}

function privateEndpoint(name: string, target: string, subresource: string, zone: string): HclBlock {
  return resource('azurerm_private_endpoint', name, {
    name: tmpl(`\${var.name}-${name.replace(/_/g, '-')}-pe`),
    location: expr('azurerm_resource_group.this.location'),
    resource_group_name: expr('azurerm_resource_group.this.name'),
    subnet_id: expr('var.private_endpoint_subnet_id'),
    private_service_connection: nested({
      name: tmpl(`\${var.name}-${name.replace(/_/g, '-')}`),
      private_connection_resource_id: expr(target),
      subresource_names: [subresource],
      is_manual_connection: false,
    }),
    private_dns_zone_group: nested({ name: 'default', private_dns_zone_ids: [expr(`azurerm_private_dns_zone.${zone}.id`)] }),
    tags: expr('local.tags'),
  });
}

function dnsZone(name: string, zone: string): HclBlock[] {
  return [
    resource('azurerm_private_dns_zone', name, {
      name: zone,
      resource_group_name: expr('azurerm_resource_group.this.name'),
      tags: expr('local.tags'),
    }),
    resource('azurerm_private_dns_zone_virtual_network_link', name, {
      name: `${name}-link`,
      resource_group_name: expr('azurerm_resource_group.this.name'),
      private_dns_zone_name: expr(`azurerm_private_dns_zone.${name}.name`),
      virtual_network_id: expr('var.virtual_network_id'),
      registration_enabled: false,
      tags: expr('local.tags'),
    }),
  ];
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
    // KEDA's azure-workload identity reads the hub's partitions and the consumers' checkpoints to compute lag.
    grant('keda_eventhub', 'azurerm_eventhub.this.id', 'Azure Event Hubs Data Receiver', kedaPrincipal),
    grant('keda_checkpoints', 'azurerm_storage_container.checkpoints.id', 'Storage Blob Data Reader', kedaPrincipal),
    output('worker_client_id', {
      value: expr('azurerm_user_assigned_identity.worker.client_id'),
      description: 'WORKER_CLIENT_ID of the manifests.',
    }),
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
    variable('location', { type: expr('string'), default: m.location, description: 'Azure region.' }),
    variable('virtual_network_id', { type: expr('string'), description: 'VNet of the private endpoints and AKS.' }),
    variable('private_endpoint_subnet_id', { type: expr('string'), description: 'Subnet for private endpoints.' }),
    variable('aks_subnet_id', { type: expr('string'), description: 'Subnet of the AKS nodes.' }),
    variable('admin_group_object_ids', {
      type: expr('list(string)'),
      description: 'Entra ID groups with AKS cluster-admin (Azure RBAC).',
    }),
    dataSource('azurerm_client_config', 'current', {}),
    block('locals', [], { tags: expr('var.tags') }),
    resource('azurerm_resource_group', 'this', {
      name: tmpl('${var.name}-rg'),
      location: expr('var.location'),
      tags: expr('local.tags'),
    }),
    resource('azurerm_log_analytics_workspace', 'this', {
      name: tmpl('${var.name}-logs'),
      location: expr('azurerm_resource_group.this.location'),
      resource_group_name: expr('azurerm_resource_group.this.name'),
      sku: 'PerGB2018',
      retention_in_days: 365,
      tags: expr('local.tags'),
    }),
    resource(
      'azurerm_key_vault',
      'this',
      {
        name: m.vaultName,
        location: expr('azurerm_resource_group.this.location'),
        resource_group_name: expr('azurerm_resource_group.this.name'),
        tenant_id: expr('data.azurerm_client_config.current.tenant_id'),
        sku_name: 'premium',
        rbac_authorization_enabled: true,
        purge_protection_enabled: true,
        soft_delete_retention_days: 90,
        public_network_access_enabled: false,
        network_acls: nested({ default_action: 'Deny', bypass: 'AzureServices' }),
        tags: expr('local.tags'),
      },
      [],
    ),
    resource('azurerm_key_vault_key', 'this', {
      name: tmpl('${var.name}-cmk'),
      key_vault_id: expr('azurerm_key_vault.this.id'),
      key_type: 'RSA-HSM',
      key_size: 3072,
      key_opts: ['unwrapKey', 'wrapKey'],
      expiration_date: '2030-01-01T00:00:00Z',
      rotation_policy: nested({
        expire_after: 'P2Y',
        notify_before_expiry: 'P30D',
        automatic: nested({ time_before_expiry: 'P60D' }),
      }),
      depends_on: [expr('azurerm_private_endpoint.key_vault')],
    }),
    ...dnsZone('key_vault', 'privatelink.vaultcore.azure.net'),
    privateEndpoint('key_vault', 'azurerm_key_vault.this.id', 'vault', 'key_vault'),
    resource('azurerm_user_assigned_identity', 'encryption', {
      name: tmpl('${var.name}-encryption'),
      location: expr('azurerm_resource_group.this.location'),
      resource_group_name: expr('azurerm_resource_group.this.name'),
      tags: expr('local.tags'),
    }),
    resource('azurerm_role_assignment', 'encryption_key', {
      scope: expr('azurerm_key_vault_key.this.resource_versionless_id'),
      role_definition_name: 'Key Vault Crypto Service Encryption User',
      principal_id: expr('azurerm_user_assigned_identity.encryption.principal_id'),
    }),
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
    ...dnsZone('eventhubs', 'privatelink.servicebus.windows.net'),
    privateEndpoint('eventhubs', 'azurerm_eventhub_namespace.this.id', 'namespace', 'eventhubs'),
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
    ...dnsZone('blob', 'privatelink.blob.core.windows.net'),
    privateEndpoint('blob', 'azurerm_storage_account.checkpoints.id', 'blob', 'blob'),
    resource('azurerm_user_assigned_identity', 'aks', {
      name: tmpl('${var.name}-aks'),
      location: expr('azurerm_resource_group.this.location'),
      resource_group_name: expr('azurerm_resource_group.this.name'),
      tags: expr('local.tags'),
    }),
    resource('azurerm_disk_encryption_set', 'this', {
      name: tmpl('${var.name}-des'),
      location: expr('azurerm_resource_group.this.location'),
      resource_group_name: expr('azurerm_resource_group.this.name'),
      key_vault_key_id: expr('azurerm_key_vault_key.this.versionless_id'),
      auto_key_rotation_enabled: true,
      identity: nested({ type: 'UserAssigned', identity_ids: [expr('azurerm_user_assigned_identity.encryption.id')] }),
      tags: expr('local.tags'),
    }),
    resource('azurerm_kubernetes_cluster', 'this', {
      name: tmpl('${var.name}-aks'),
      location: expr('azurerm_resource_group.this.location'),
      resource_group_name: expr('azurerm_resource_group.this.name'),
      dns_prefix_private_cluster: expr('var.name'),
      kubernetes_version: m.k8sVersion,
      sku_tier: 'Standard',
      private_cluster_enabled: true,
      oidc_issuer_enabled: true,
      workload_identity_enabled: true,
      local_account_disabled: true,
      azure_policy_enabled: true,
      role_based_access_control_enabled: true,
      automatic_upgrade_channel: 'patch',
      node_os_upgrade_channel: 'NodeImage',
      disk_encryption_set_id: expr('azurerm_disk_encryption_set.this.id'),
      default_node_pool: nested({
        name: 'system',
        vm_size: 'Standard_D4ds_v5',
        vnet_subnet_id: expr('var.aks_subnet_id'),
        auto_scaling_enabled: true,
        min_count: 3,
        max_count: 5,
        max_pods: 50,
        zones: ['1', '2', '3'],
        os_disk_type: 'Ephemeral',
        host_encryption_enabled: true,
        only_critical_addons_enabled: true,
        upgrade_settings: nested({ max_surge: '33%' }),
      }),
      identity: nested({ type: 'UserAssigned', identity_ids: [expr('azurerm_user_assigned_identity.aks.id')] }),
      azure_active_directory_role_based_access_control: nested({
        azure_rbac_enabled: true,
        tenant_id: expr('data.azurerm_client_config.current.tenant_id'),
        admin_group_object_ids: expr('var.admin_group_object_ids'),
      }),
      network_profile: nested({
        network_plugin: 'azure',
        network_policy: 'azure',
        load_balancer_sku: 'standard',
        outbound_type: 'userDefinedRouting',
      }),
      oms_agent: nested({
        log_analytics_workspace_id: expr('azurerm_log_analytics_workspace.this.id'),
        msi_auth_for_monitoring_enabled: true,
      }),
      key_vault_secrets_provider: nested({ secret_rotation_enabled: true }),
      microsoft_defender: nested({ log_analytics_workspace_id: expr('azurerm_log_analytics_workspace.this.id') }),
      tags: expr('local.tags'),
    }),
    resource('azurerm_kubernetes_cluster_node_pool', 'workers', {
      name: 'workers',
      kubernetes_cluster_id: expr('azurerm_kubernetes_cluster.this.id'),
      vm_size: 'Standard_D4ds_v5',
      vnet_subnet_id: expr('var.aks_subnet_id'),
      auto_scaling_enabled: true,
      min_count: m.nodesMin,
      max_count: m.nodesMax,
      max_pods: 50,
      zones: ['1', '2', '3'],
      os_disk_type: 'Ephemeral',
      host_encryption_enabled: true,
      tags: expr('local.tags'),
    }),
    resource('azurerm_monitor_diagnostic_setting', 'aks', {
      name: 'control-plane-audit',
      target_resource_id: expr('azurerm_kubernetes_cluster.this.id'),
      log_analytics_workspace_id: expr('azurerm_log_analytics_workspace.this.id'),
      enabled_log: [nested({ category: 'kube-audit' }), nested({ category: 'kube-audit-admin' }), nested({ category: 'guard' })],
      enabled_metric: nested({ category: 'AllMetrics' }),
    }),
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
