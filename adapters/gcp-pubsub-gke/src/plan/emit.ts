/**
 * IaC for `gcp-pubsub-gke`: Terraform for the Pub/Sub topic (CMEK, retention, storage policy), a dead-letter topic,
 * one subscription per consumer group (ordering, dead-letter policy, ack deadline, retry policy), Cloud KMS, a GKE
 * private cluster (Workload Identity, network policy, shielded nodes, secrets encryption, audit logs) and the worker
 * Google service account bound to the Kubernetes service account; plus the Kubernetes worker manifests.
 *
 * @packageDocumentation
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: this file writes IaC text whose ${...} are HCL, CloudFormation or envsubst placeholders, not JS templates
import {
  assertNoSecretValues,
  block,
  dataSource,
  expr,
  fileHeader,
  type HclBlock,
  k8sFiles,
  kedaPodIdentity,
  nested,
  output,
  pubsubKedaTrigger,
  renderHcl,
  resource,
  tmpl,
  variable,
  workloadIdentityAnnotations,
} from '@speedlayer/iac';
import type { EmitContext, EmittedFile, PlanInput, TargetPlan } from '@speedlayer/planner';

/** Private Google Access ranges (private.googleapis.com and restricted.googleapis.com VIPs). */
const GOOGLE_APIS_CIDRS = ['199.36.153.8/30', '199.36.153.4/30'];

interface Model {
  name: string;
  namespace: string;
  groups: string[];
  ack: number;
  attempts: number;
  ordering: boolean;
  retentionSeconds: number;
  backlog: number;
  region: string;
  vpcCidr: string;
  nodesMax: number;
}

function tfName(s: string): string {
  return s.replace(/[^A-Za-z0-9_]/g, '_');
}

function model(plan: TargetPlan, input: PlanInput): Model {
  const c = plan.capacity;
  const w = input.workload;
  return {
    name: w.name,
    namespace: w.deploy.namespace ?? w.name,
    groups: [...input.load.groups],
    ack: Number(c.ackDeadlineSeconds),
    attempts: Number(c.maxDeliveryAttempts),
    ordering: c.messageOrdering === true,
    retentionSeconds: Number(c.retentionSeconds),
    backlog: Number(c.kedaBacklogPerReplica),
    region: String(c.region),
    vpcCidr: String(c.vpcCidr),
    nodesMax: Math.max(3, Math.ceil((plan.replicas.max * w.consumerGroups * w.processing.cpu) / 3.2)),
  };
}

function terraform(m: Model, header: string[]): string {
  const subRetention = Math.min(m.retentionSeconds, 31 * 86400);
  const pubsubAgent = 'serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com';
  const blocks: HclBlock[] = [
    block('terraform', [], {
      required_version: '>= 1.6.0',
      required_providers: nested({ google: { source: 'hashicorp/google', version: '>= 6.0.0' } } as never),
    }),
    block('provider', ['google'], { project: expr('var.project_id'), region: expr('var.region') }),
    variable('project_id', { type: expr('string'), description: 'Google Cloud project.' }),
    variable('region', {
      type: expr('string'),
      default: m.region,
      description: 'Region of the topic storage policy and the GKE cluster.',
    }),
    variable('network', { type: expr('string'), description: 'VPC network self link.' }),
    variable('subnetwork', { type: expr('string'), description: 'Subnetwork of the GKE nodes (Private Google Access on).' }),
    variable('master_ipv4_cidr_block', {
      type: expr('string'),
      default: '172.16.0.0/28',
      description: 'Private control-plane range.',
    }),
    variable('vpc_cidr', {
      type: expr('string'),
      default: m.vpcCidr,
      description: 'Node range allowed to reach the control plane.',
    }),
    variable('rbac_security_group', {
      type: expr('string'),
      description: 'Google Group for Kubernetes RBAC (gke-security-groups@<your domain>).',
    }),
    dataSource('google_project', 'this', { project_id: expr('var.project_id') }),
    block('locals', [], { labels: { workload: m.name, 'managed-by': 'speedlayer' } }),
    resource('google_kms_key_ring', 'this', { name: tmpl(`${m.name}-\${var.region}`), location: expr('var.region') }),
    resource('google_kms_crypto_key', 'this', {
      name: `${m.name}-cmek`,
      key_ring: expr('google_kms_key_ring.this.id'),
      rotation_period: '7776000s',
      purpose: 'ENCRYPT_DECRYPT',
      version_template: nested({ algorithm: 'GOOGLE_SYMMETRIC_ENCRYPTION', protection_level: 'HSM' }),
      labels: expr('local.labels'),
      lifecycle: nested({ prevent_destroy: true }),
    }),
    resource('google_kms_crypto_key_iam_member', 'pubsub', {
      crypto_key_id: expr('google_kms_crypto_key.this.id'),
      role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
      member: tmpl(pubsubAgent),
    }),
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
    resource('google_pubsub_topic', 'this', {
      name: m.name,
      kms_key_name: expr('google_kms_crypto_key.this.id'),
      message_retention_duration: `${m.retentionSeconds}s`,
      message_storage_policy: nested({ allowed_persistence_regions: [expr('var.region')] }),
      labels: expr('local.labels'),
      depends_on: [expr('google_kms_crypto_key_iam_member.pubsub')],
    }),
    resource('google_pubsub_topic', 'dead_letter', {
      name: `${m.name}-dead-letter`,
      kms_key_name: expr('google_kms_crypto_key.this.id'),
      message_retention_duration: `${31 * 86400}s`,
      message_storage_policy: nested({ allowed_persistence_regions: [expr('var.region')] }),
      labels: expr('local.labels'),
      depends_on: [expr('google_kms_crypto_key_iam_member.pubsub')],
    }),
    resource('google_pubsub_subscription', 'dead_letter', {
      name: `${m.name}-dead-letter`,
      topic: expr('google_pubsub_topic.dead_letter.id'),
      ack_deadline_seconds: 60,
      message_retention_duration: `${31 * 86400}s`,
      expiration_policy: nested({ ttl: '' }),
      labels: expr('local.labels'),
    }),
    resource('google_pubsub_topic_iam_member', 'dead_letter_publisher', {
      topic: expr('google_pubsub_topic.dead_letter.id'),
      role: 'roles/pubsub.publisher',
      member: tmpl(pubsubAgent),
    }),
    resource('google_service_account', 'worker', {
      account_id: `${m.name.slice(0, 23)}-worker`,
      display_name: `speedlayer ${m.name} worker`,
      description: `Reads the ${m.name} subscriptions only; bound to the Kubernetes service account through Workload Identity`,
    }),
    resource('google_service_account_iam_member', 'worker_workload_identity', {
      service_account_id: expr('google_service_account.worker.name'),
      role: 'roles/iam.workloadIdentityUser',
      member: tmpl(`serviceAccount:\${var.project_id}.svc.id.goog[${m.namespace}/${m.name}-worker]`),
    }),
  ];
  for (const g of m.groups) {
    const n = tfName(g);
    blocks.push(
      resource('google_pubsub_subscription', n, {
        name: g,
        topic: expr('google_pubsub_topic.this.id'),
        ack_deadline_seconds: m.ack,
        message_retention_duration: `${Math.max(600, subRetention)}s`,
        retain_acked_messages: false,
        enable_message_ordering: m.ordering,
        expiration_policy: nested({ ttl: '' }),
        dead_letter_policy: nested({
          dead_letter_topic: expr('google_pubsub_topic.dead_letter.id'),
          max_delivery_attempts: m.attempts,
        }),
        retry_policy: nested({ minimum_backoff: '10s', maximum_backoff: '600s' }),
        labels: expr('local.labels'),
      }),
      resource('google_pubsub_subscription_iam_member', `${n}_worker`, {
        subscription: expr(`google_pubsub_subscription.${n}.name`),
        role: 'roles/pubsub.subscriber',
        member: tmpl('serviceAccount:${google_service_account.worker.email}'),
      }),
      resource('google_pubsub_subscription_iam_member', `${n}_worker_viewer`, {
        subscription: expr(`google_pubsub_subscription.${n}.name`),
        role: 'roles/pubsub.viewer',
        member: tmpl('serviceAccount:${google_service_account.worker.email}'),
      }),
      resource('google_pubsub_subscription_iam_member', `${n}_dead_letter`, {
        subscription: expr(`google_pubsub_subscription.${n}.name`),
        role: 'roles/pubsub.subscriber',
        member: tmpl(pubsubAgent),
      }),
    );
  }
  blocks.push(
    resource('google_project_iam_audit_config', 'audit', {
      for_each: expr('toset(["container.googleapis.com", "pubsub.googleapis.com"])'),
      project: expr('var.project_id'),
      service: expr('each.value'),
      audit_log_config: [
        nested({ log_type: 'ADMIN_READ' }),
        nested({ log_type: 'DATA_READ' }),
        nested({ log_type: 'DATA_WRITE' }),
      ],
    }),
    resource('google_service_account', 'nodes', {
      account_id: `${m.name.slice(0, 24)}-nodes`,
      display_name: `speedlayer ${m.name} GKE nodes`,
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
      name: m.name,
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
      resource_labels: expr('local.labels'),
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
      autoscaling: nested({ min_node_count: 1, max_node_count: m.nodesMax }),
      management: nested({ auto_repair: true, auto_upgrade: true }),
      node_config: nested({
        machine_type: 'e2-standard-4',
        image_type: 'COS_CONTAINERD',
        service_account: expr('google_service_account.nodes.email'),
        oauth_scopes: ['https://www.googleapis.com/auth/cloud-platform'],
        boot_disk_kms_key: expr('google_kms_crypto_key.this.id'),
        labels: expr('local.labels'),
        metadata: { 'disable-legacy-endpoints': 'true' },
        workload_metadata_config: nested({ mode: 'GKE_METADATA' }),
        shielded_instance_config: nested({ enable_secure_boot: true, enable_integrity_monitoring: true }),
      }),
      depends_on: [expr('google_kms_crypto_key_iam_member.compute')],
    }),
    output('topic', { value: expr('google_pubsub_topic.this.id') }),
    output('worker_service_account_email', { value: expr('google_service_account.worker.email') }),
    output('cluster_name', { value: expr('google_container_cluster.this.name') }),
  );
  return renderHcl(blocks, header);
}

/** Emits Terraform and Kubernetes manifests for a feasible plan. */
export function emitPubSubGke(plan: TargetPlan, input: PlanInput, context: EmitContext): EmittedFile[] {
  const m = model(plan, input);
  const w = input.workload;
  const header = fileHeader({ generator: context.generator, workload: m.name, target: plan.target, now: context.now });
  const k8s = k8sFiles(
    {
      name: m.name,
      namespace: m.namespace,
      target: plan.target,
      image: w.deploy.image,
      handler: w.deploy.handler,
      streamUri: 'pubsub://${GCP_PROJECT_ID}',
      topic: m.name,
      partitions: null,
      groups: m.groups.map((g) => ({ name: g, replicas: plan.replicas })),
      resources: { cpu: w.processing.cpu, memoryMiB: w.processing.memoryMiB },
      serviceAccountAnnotations: workloadIdentityAnnotations('gcp', '${WORKER_GSA_EMAIL}'),
      config: { GCP_PROJECT_ID: '${GCP_PROJECT_ID}', SPEEDLAYER_ORDERING: m.ordering ? 'per-key' : 'none' },
      kedaPodIdentity: kedaPodIdentity('gcp'),
      kedaTrigger: (g) => pubsubKedaTrigger({ subscriptionName: g.name, value: m.backlog, activationValue: 0 }),
      egress: [
        {
          cidrs: GOOGLE_APIS_CIDRS,
          ports: [443],
          why: 'Pub/Sub and IAM through Private Google Access (private/restricted.googleapis.com VIPs)',
        },
        {
          cidrs: ['169.254.169.252/32', '169.254.169.254/32'],
          ports: [80, 988],
          why: 'GKE metadata server (Workload Identity tokens)',
        },
      ],
    },
    header,
  );
  const files: EmittedFile[] = [
    { path: 'terraform/main.tf', content: terraform(m, header), kind: 'terraform' },
    ...k8s.map((f) => ({ ...f, kind: 'kubernetes' as const })),
  ];
  for (const f of files) assertNoSecretValues(f.path, f.content);
  return files;
}
