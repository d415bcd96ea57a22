/**
 * Google Cloud Terraform shared by the GKE targets (Pub/Sub, Confluent Cloud): the platform variables, the Cloud KMS
 * key (HSM, rotated) with the GKE and Compute service agents' grants, and the GKE cluster (private, Workload Identity,
 * Calico network policy, Binary Authorization, CMEK secrets and boot disks, shielded nodes, control-plane logs, private
 * DNS to Private Google Access), so every GKE target emits the same hardened cluster.
 *
 * @packageDocumentation
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: this file writes HCL whose ${...} are Terraform interpolations, not JS templates
import { expr, type HclBlock, nested, output, resource, tmpl, variable } from './hcl.js';

/** The Private Google Access VIPs (private.googleapis.com). */
export const PRIVATE_GOOGLE_APIS_IPS = ['199.36.153.8', '199.36.153.9', '199.36.153.10', '199.36.153.11'];

/** The variables of a full-scope GKE stack: network, subnetwork, control-plane range, node range, RBAC group. */
export function gkeVariables(vpcCidr: string): HclBlock[] {
  return [
    variable('network', { type: expr('string'), description: 'VPC network self link.' }),
    variable('subnetwork', { type: expr('string'), description: 'Subnetwork of the GKE nodes (Private Google Access on).' }),
    variable('master_ipv4_cidr_block', {
      type: expr('string'),
      default: '172.16.0.0/28',
      description: 'Private control-plane range.',
    }),
    variable('vpc_cidr', {
      type: expr('string'),
      default: vpcCidr,
      description: 'Node range allowed to reach the control plane.',
    }),
    variable('rbac_security_group', {
      type: expr('string'),
      description: 'Google Group for Kubernetes RBAC (gke-security-groups@<your domain>).',
    }),
  ];
}

/** A Cloud KMS key ring and an HSM key rotated every 90 days (`google_kms_crypto_key.this`). */
export function gcpKmsKey(name: string): HclBlock[] {
  return [
    resource('google_kms_key_ring', 'this', { name: tmpl(`${name}-\${var.region}`), location: expr('var.region') }),
    resource('google_kms_crypto_key', 'this', {
      name: `${name}-cmek`,
      key_ring: expr('google_kms_key_ring.this.id'),
      rotation_period: '7776000s',
      purpose: 'ENCRYPT_DECRYPT',
      version_template: nested({ algorithm: 'GOOGLE_SYMMETRIC_ENCRYPTION', protection_level: 'HSM' }),
      lifecycle: nested({ prevent_destroy: true }),
    }),
  ];
}

/** The GKE (secrets) and Compute (boot disks) service agents may use `google_kms_crypto_key.this`. */
export function gcpKmsGkeGrants(): HclBlock[] {
  return [
    resource('google_kms_crypto_key_iam_member', 'gke', {
      crypto_key_id: expr('google_kms_crypto_key.this.id'),
      role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
      member: tmpl('serviceAccount:service-${data.google_project.this.number}@container-engine-robot.iam.gserviceaccount.com'),
    }),
    resource('google_kms_crypto_key_iam_member', 'compute', {
      crypto_key_id: expr('google_kms_crypto_key.this.id'),
      role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
      member: tmpl('serviceAccount:service-${data.google_project.this.number}@compute-system.iam.gserviceaccount.com'),
    }),
  ];
}

/**
 * The GKE cluster of {@link gcpKmsKey}: a node service account with the minimum roles, a private regional cluster
 * with a `workers` pool (autoscaling 1 to `nodesMax`), and a private DNS zone sending googleapis.com to Private
 * Google Access; output `cluster_name`.
 */
export function gkeCluster(o: { name: string; nodesMax: number }): HclBlock[] {
  return [
    resource('google_service_account', 'nodes', {
      account_id: `${o.name.slice(0, 24)}-nodes`,
      display_name: `speedlayer ${o.name} GKE nodes`,
    }),
    resource('google_project_iam_member', 'nodes', {
      for_each: expr(
        'toset(["roles/logging.logWriter", "roles/monitoring.metricWriter", "roles/monitoring.viewer", "roles/artifactregistry.reader"])',
      ),
      project: expr('var.project_id'),
      role: expr('each.value'),
      member: tmpl('serviceAccount:${google_service_account.nodes.email}'),
    }),
    resource('google_container_cluster', 'this', {
      name: o.name,
      location: expr('var.region'),
      network: expr('var.network'),
      subnetwork: expr('var.subnetwork'),
      networking_mode: 'VPC_NATIVE',
      remove_default_node_pool: true,
      initial_node_count: 1,
      deletion_protection: true,
      enable_shielded_nodes: true,
      enable_intranode_visibility: true,
      enable_legacy_abac: false,
      // Also set by the provider's default_labels; written here so scanners that read the resource see them.
      resource_labels: expr('var.labels'),
      ip_allocation_policy: nested({}),
      private_cluster_config: nested({
        enable_private_nodes: true,
        enable_private_endpoint: true,
        master_ipv4_cidr_block: expr('var.master_ipv4_cidr_block'),
      }),
      master_authorized_networks_config: nested({
        cidr_blocks: nested({ cidr_block: expr('var.vpc_cidr'), display_name: 'nodes' }),
      }),
      master_auth: nested({ client_certificate_config: nested({ issue_client_certificate: false }) }),
      authenticator_groups_config: nested({ security_group: expr('var.rbac_security_group') }),
      workload_identity_config: nested({ workload_pool: tmpl('${var.project_id}.svc.id.goog') }),
      network_policy: nested({ enabled: true, provider: 'CALICO' }),
      addons_config: nested({
        network_policy_config: nested({ disabled: false }),
        http_load_balancing: nested({ disabled: false }),
      }),
      release_channel: nested({ channel: 'REGULAR' }),
      binary_authorization: nested({ evaluation_mode: 'PROJECT_SINGLETON_POLICY_ENFORCE' }),
      database_encryption: nested({ state: 'ENCRYPTED', key_name: expr('google_kms_crypto_key.this.id') }),
      logging_config: nested({
        enable_components: ['SYSTEM_COMPONENTS', 'WORKLOADS', 'APISERVER', 'CONTROLLER_MANAGER', 'SCHEDULER'],
      }),
      monitoring_config: nested({
        enable_components: ['SYSTEM_COMPONENTS', 'APISERVER', 'CONTROLLER_MANAGER', 'SCHEDULER'],
        managed_prometheus: nested({ enabled: true }),
      }),
      node_config: nested({
        service_account: expr('google_service_account.nodes.email'),
        workload_metadata_config: nested({ mode: 'GKE_METADATA' }),
        shielded_instance_config: nested({ enable_secure_boot: true, enable_integrity_monitoring: true }),
        metadata: { 'disable-legacy-endpoints': 'true' },
      }),
      depends_on: [expr('google_kms_crypto_key_iam_member.gke')],
    }),
    resource('google_container_node_pool', 'workers', {
      name: 'workers',
      cluster: expr('google_container_cluster.this.id'),
      location: expr('var.region'),
      autoscaling: nested({ min_node_count: 1, max_node_count: o.nodesMax }),
      management: nested({ auto_repair: true, auto_upgrade: true }),
      node_config: nested({
        machine_type: 'e2-standard-4',
        image_type: 'COS_CONTAINERD',
        service_account: expr('google_service_account.nodes.email'),
        oauth_scopes: ['https://www.googleapis.com/auth/cloud-platform'],
        boot_disk_kms_key: expr('google_kms_crypto_key.this.id'),
        metadata: { 'disable-legacy-endpoints': 'true' },
        workload_metadata_config: nested({ mode: 'GKE_METADATA' }),
        shielded_instance_config: nested({ enable_secure_boot: true, enable_integrity_monitoring: true }),
      }),
      depends_on: [expr('google_kms_crypto_key_iam_member.compute')],
    }),
    // Private DNS: *.googleapis.com resolves to the Private Google Access VIPs the worker's egress policy allows.
    resource('google_dns_managed_zone', 'googleapis', {
      name: `${o.name}-googleapis`,
      dns_name: 'googleapis.com.',
      description: 'Private Google Access: googleapis.com to private.googleapis.com (199.36.153.8/30)',
      visibility: 'private',
      private_visibility_config: nested({ networks: nested({ network_url: expr('var.network') }) }),
    }),
    resource('google_dns_record_set', 'private_googleapis', {
      managed_zone: expr('google_dns_managed_zone.googleapis.name'),
      name: 'private.googleapis.com.',
      type: 'A',
      ttl: 300,
      rrdatas: PRIVATE_GOOGLE_APIS_IPS,
    }),
    resource('google_dns_record_set', 'googleapis_wildcard', {
      managed_zone: expr('google_dns_managed_zone.googleapis.name'),
      name: '*.googleapis.com.',
      type: 'CNAME',
      ttl: 300,
      rrdatas: ['private.googleapis.com.'],
    }),
    output('cluster_name', { value: expr('google_container_cluster.this.name') }),
  ];
}
