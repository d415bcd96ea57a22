/**
 * Azure Terraform shared by the AKS targets (Event Hubs, Kafka with Strimzi, Confluent Cloud): the platform
 * variables, the foundation (resource group, Log Analytics, Key Vault with a customer-managed key behind a private
 * endpoint, the encryption identity) and the AKS cluster (private, workload identity, Azure RBAC, CMK disk
 * encryption, audit logs), so every AKS target emits the same hardened cluster.
 *
 * @packageDocumentation
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: this file writes HCL whose ${...} are Terraform interpolations, not JS templates
import { block, dataSource, expr, type HclBlock, nested, resource, tmpl, variable } from './hcl.js';

/** A private endpoint `azurerm_private_endpoint.<name>` to `target` (a resource id expression) in zone `zone`. */
export function azurePrivateEndpoint(name: string, target: string, subresource: string, zone: string): HclBlock {
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

/** A private DNS zone and its link to `var.virtual_network_id`. */
export function azurePrivateDnsZone(name: string, zone: string): HclBlock[] {
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

/** The variables of a full-scope AKS stack (region, VNet, subnets, admin groups), the client config and `local.tags`. */
export function azurePlatformVariables(location: string): HclBlock[] {
  return [
    variable('location', { type: expr('string'), default: location, description: 'Azure region.' }),
    variable('virtual_network_id', { type: expr('string'), description: 'VNet of the private endpoints and AKS.' }),
    variable('private_endpoint_subnet_id', { type: expr('string'), description: 'Subnet for private endpoints.' }),
    variable('aks_subnet_id', { type: expr('string'), description: 'Subnet of the AKS nodes.' }),
    variable('admin_group_object_ids', {
      type: expr('list(string)'),
      description: 'Entra ID groups with AKS cluster-admin (Azure RBAC).',
    }),
    dataSource('azurerm_client_config', 'current', {}),
    block('locals', [], { tags: expr('var.tags') }),
  ];
}

/**
 * Resource group, Log Analytics workspace, Key Vault (premium, RBAC, purge protection, private endpoint) with an
 * HSM-backed customer-managed key, and the encryption identity allowed to use it.
 */
export function azureFoundation(o: { vaultName: string }): HclBlock[] {
  return [
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
        name: o.vaultName,
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
    ...azurePrivateDnsZone('key_vault', 'privatelink.vaultcore.azure.net'),
    azurePrivateEndpoint('key_vault', 'azurerm_key_vault.this.id', 'vault', 'key_vault'),
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
  ];
}

/** Options of {@link azureAksCluster}. */
export interface AzureAksClusterOptions {
  /** Kubernetes version, e.g. `1.33`. */
  readonly kubernetesVersion: string;
  /** Autoscaling bounds of the `workers` node pool. */
  readonly workerNodes: { readonly min: number; readonly max: number };
  /** Further node pools (e.g. dedicated Kafka broker nodes), written after the workers pool. */
  readonly extraNodePools?: readonly HclBlock[];
}

/** The VM size of the system and worker node pools. */
export const AKS_NODE_VM_SIZE = 'Standard_D4ds_v5';

/**
 * The AKS cluster of {@link azureFoundation}: private, workload identity and OIDC issuer, no local accounts, Azure
 * RBAC, CMK disk encryption set, host encryption, ephemeral OS disks across three zones, Azure network policy,
 * Defender and Container Insights, a `workers` pool, and control-plane audit logs to Log Analytics.
 */
export function azureAksCluster(o: AzureAksClusterOptions): HclBlock[] {
  return [
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
      kubernetes_version: o.kubernetesVersion,
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
        vm_size: AKS_NODE_VM_SIZE,
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
      vm_size: AKS_NODE_VM_SIZE,
      vnet_subnet_id: expr('var.aks_subnet_id'),
      auto_scaling_enabled: true,
      min_count: o.workerNodes.min,
      max_count: o.workerNodes.max,
      max_pods: 50,
      zones: ['1', '2', '3'],
      os_disk_type: 'Ephemeral',
      host_encryption_enabled: true,
      tags: expr('local.tags'),
    }),
    ...(o.extraNodePools ?? []),
    resource('azurerm_monitor_diagnostic_setting', 'aks', {
      name: 'control-plane-audit',
      target_resource_id: expr('azurerm_kubernetes_cluster.this.id'),
      log_analytics_workspace_id: expr('azurerm_log_analytics_workspace.this.id'),
      enabled_log: [nested({ category: 'kube-audit' }), nested({ category: 'kube-audit-admin' }), nested({ category: 'guard' })],
      enabled_metric: nested({ category: 'AllMetrics' }),
    }),
  ];
}

/** Worker nodes (min, max) of `D4ds_v5` (4 vCPU, about 3.2 allocatable) for pods of `cpu` vCPU, at least 3 (one per zone). */
export function aksWorkerNodes(podsMin: number, podsMax: number, cpu: number): { min: number; max: number } {
  return { min: Math.max(3, Math.ceil((podsMin * cpu) / 3.2)), max: Math.max(3, Math.ceil((podsMax * cpu) / 3.2)) };
}

/** A short deterministic suffix (FNV-1a of the name, base 36, 6 characters) for globally unique cloud names. */
export function azureNameSuffix(name: string): string {
  let h = 0x811c9dc5;
  for (const ch of name) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36).padStart(6, '0').slice(0, 6);
}
