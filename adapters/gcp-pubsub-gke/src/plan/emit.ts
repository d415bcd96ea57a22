/**
 * IaC for `gcp-pubsub-gke`: Terraform for the Pub/Sub topic (CMEK, retention, storage policy), a dead-letter topic,
 * one subscription per consumer group (ordering, dead-letter policy, ack deadline, retry policy), Cloud KMS, a GKE
 * private cluster (Workload Identity, network policy, shielded nodes, secrets encryption, audit logs) and the worker
 * Google service account bound to the Kubernetes service account, with what consumer lag needs (custom roles, see
 * {@link LAG_PROJECT_PERMISSIONS}; target option `consumerLag`); plus the Kubernetes worker manifests.
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
  type GrantPrincipal,
  gcpKmsGkeGrants,
  gcpKmsKey,
  gcpPrincipalServiceAccounts,
  gkeCluster,
  gkeVariables,
  type HclBlock,
  k8sFiles,
  kedaPodIdentity,
  nested,
  output,
  principalResourceName,
  principalServiceAccounts,
  pubsubKedaTrigger,
  resource,
  terraformFiles,
  tmpl,
  variable,
  workloadIdentityAnnotations,
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

/** Private Google Access ranges (private.googleapis.com and restricted.googleapis.com VIPs). */
const GOOGLE_APIS_CIDRS = ['199.36.153.8/30', '199.36.153.4/30'];

interface Model {
  name: string;
  /** Dead-letter topic (`<topic>.dlq`). */
  dlq: string;
  scope: EmitScope;
  namespace: string;
  groups: string[];
  /** Principals of the workload's access block (one service account each). */
  principals: GrantPrincipal[];
  /** Groups that run as the shared worker service account; `undefined` when every group runs as its access principal. */
  workerGroups: string[] | undefined;
  ack: number;
  attempts: number;
  ordering: boolean;
  retentionSeconds: number;
  backlog: number;
  region: string;
  vpcCidr: string;
  nodesMax: number;
  /** Grant the consuming identities what consumer lag needs (target option `consumerLag`). */
  lag: boolean;
}

/**
 * What one consumer lag reading (`lag()` of the `pubsub://` client, src/stream/lag.ts) calls, and where Pub/Sub
 * checks each permission (https://cloud.google.com/pubsub/docs/access-control):
 * - CreateSnapshot of the group's subscription: `pubsub.snapshots.create` on the project, `pubsub.subscriptions.consume`
 *   on the group's subscription (roles/pubsub.subscriber, granted already);
 * - CreateSubscription `speedlayer-lag-*` on the topic: `pubsub.subscriptions.create` on the project,
 *   `pubsub.topics.attachSubscription` on the topic;
 * - Seek it to the snapshot: `pubsub.subscriptions.consume` on it, `pubsub.snapshots.seek` on the snapshot;
 * - Pull it: `pubsub.subscriptions.consume`; delete both: `pubsub.subscriptions.delete`, `pubsub.snapshots.delete`.
 * The temporary snapshot and subscription get new random names at every reading, so nothing can be granted on them
 * ahead, and IAM Conditions on resource names do not apply to Pub/Sub (only to the services listed in
 * https://cloud.google.com/iam/docs/conditions-resource-attributes): those permissions are granted on the project, in a
 * custom role holding only them; `attachSubscription` is granted on the workload's topic only.
 */
export const LAG_PROJECT_PERMISSIONS = [
  'pubsub.snapshots.create',
  'pubsub.snapshots.delete',
  'pubsub.snapshots.seek',
  'pubsub.subscriptions.consume',
  'pubsub.subscriptions.create',
  'pubsub.subscriptions.delete',
] as const;
/** Granted on the workload's topic only (see {@link LAG_PROJECT_PERMISSIONS}). */
export const LAG_TOPIC_PERMISSIONS = ['pubsub.topics.attachSubscription'] as const;

/** A custom role id (`[a-zA-Z0-9_.]{3,64}`) unique per workload: `speedlayer_<workload>_<suffix>`. */
function customRoleId(workload: string, suffix: string): string {
  return `speedlayer_${workload.replace(/[^a-zA-Z0-9]/g, '_').slice(0, 64 - 12 - suffix.length)}_${suffix}`;
}

/** The consumer lag grants: two custom roles, each bound to the worker (when it runs groups) and every consuming principal. */
function lagGrants(m: Model): HclBlock[] {
  const members: [string, string][] = [
    ...(m.workerGroups ? [['worker', '${google_service_account.worker.email}'] as [string, string]] : []),
    ...m.principals
      .filter((p) => p.groups.length > 0)
      .map((p): [string, string] => [p.principal, `\${google_service_account.${principalResourceName(p.principal)}.email}`]),
  ];
  if (!m.lag || members.length === 0) return [];
  // keys known at plan time (the e-mail addresses are only known after apply)
  const forEach = Object.fromEntries(members.map(([k, email]) => [k, tmpl(`serviceAccount:${email}`)]));
  // IAM limits: title 100 bytes, description 256 bytes (workload names are at most 32 characters)
  return [
    resource('google_project_iam_custom_role', 'lag_scan', {
      project: expr('var.project_id'),
      role_id: customRoleId(m.name, 'lag_scan'),
      title: `speedlayer ${m.name} consumer lag scan`,
      description: `Consumer lag of ${m.name}: snapshot a group subscription, seek a temporary speedlayer-lag-* subscription to it, pull without ack, delete both. Project-wide: create is checked on the project, the temporary names are random.`,
      permissions: [...LAG_PROJECT_PERMISSIONS],
    }),
    resource('google_project_iam_custom_role', 'lag_attach', {
      project: expr('var.project_id'),
      role_id: customRoleId(m.name, 'lag_attach'),
      title: `speedlayer ${m.name} consumer lag attach`,
      description: `Consumer lag of ${m.name}: lets a temporary speedlayer-lag-* subscription attach to the topic. Granted on the ${m.name} topic only.`,
      permissions: [...LAG_TOPIC_PERMISSIONS],
    }),
    resource('google_project_iam_member', 'lag_scan', {
      for_each: forEach,
      project: expr('var.project_id'),
      role: expr('google_project_iam_custom_role.lag_scan.name'),
      member: expr('each.value'),
    }),
    resource('google_pubsub_topic_iam_member', 'lag_attach', {
      for_each: forEach,
      topic: expr('google_pubsub_topic.this.id'),
      role: expr('google_project_iam_custom_role.lag_attach.name'),
      member: expr('each.value'),
    }),
  ];
}

function model(plan: TargetPlan, input: PlanInput, scope: EmitScope): Model {
  const c = plan.capacity;
  const w = input.workload;
  return {
    name: w.name,
    dlq: deadLetterTopicName(w.name),
    scope,
    namespace: w.deploy.namespace ?? w.name,
    groups: [...input.load.groups],
    principals: accessPrincipals(w.access),
    workerGroups: workerGroups(w, input.load),
    ack: Number(c.ackDeadlineSeconds),
    attempts: Number(c.maxDeliveryAttempts),
    ordering: c.messageOrdering === true,
    retentionSeconds: Number(c.retentionSeconds),
    backlog: Number(c.kedaBacklogPerReplica),
    region: String(c.region),
    vpcCidr: String(c.vpcCidr),
    nodesMax: Math.max(3, Math.ceil((plan.replicas.max * w.consumerGroups * w.processing.cpu) / 3.2)),
    lag: c.consumerLagGrants !== false,
  };
}

function terraform(m: Model): HclBlock[] {
  const full = m.scope === 'full';
  const subRetention = Math.min(m.retentionSeconds, 31 * 86400);
  const pubsubAgent = 'serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com';
  const key = full ? expr('google_kms_crypto_key.this.id') : expr('var.kms_key_id');
  const keyGrant = full ? { depends_on: [expr('google_kms_crypto_key_iam_member.pubsub')] } : {};
  const groups = expr(`toset(${JSON.stringify(m.groups).replace(/,/g, ', ')})`);
  const workerSa = tmpl('serviceAccount:${google_service_account.worker.email}');
  // The worker's subscriptions: only the groups no access principal names (all without an access block).
  const workerSubs =
    m.workerGroups && m.workerGroups.length < m.groups.length
      ? expr(`toset(${JSON.stringify(m.workerGroups).replace(/,/g, ', ')})`)
      : groups;
  const blocks: HclBlock[] = [
    block('terraform', [], {
      required_version: '>= 1.6.0',
      required_providers: nested({ google: { source: 'hashicorp/google', version: '>= 6.0.0' } } as never),
    }),
    block('provider', ['google'], {
      project: expr('var.project_id'),
      region: expr('var.region'),
      default_labels: expr('var.labels'),
    }),
    variable('project_id', { type: expr('string'), description: 'Google Cloud project.' }),
    variable('region', {
      type: expr('string'),
      default: m.region,
      description: 'Region of the topic storage policy and the GKE cluster.',
    }),
    variable('labels', {
      type: expr('map(string)'),
      default: { workload: m.name, 'managed-by': 'speedlayer' },
      description: 'Labels on every resource (provider default_labels).',
    }),
    variable('keda_namespace', {
      type: expr('string'),
      default: 'keda',
      description: 'Namespace of the KEDA operator (service account keda-operator).',
    }),
  ];
  if (full) {
    blocks.push(...gkeVariables(m.vpcCidr));
  } else {
    blocks.push(
      variable('kms_key_id', {
        type: expr('string'),
        description: 'Existing Cloud KMS key of the topics (the Pub/Sub service agent may use it).',
      }),
    );
  }
  blocks.push(dataSource('google_project', 'this', { project_id: expr('var.project_id') }));
  if (full) {
    blocks.push(
      ...gcpKmsKey(m.name),
      resource('google_kms_crypto_key_iam_member', 'pubsub', {
        crypto_key_id: expr('google_kms_crypto_key.this.id'),
        role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
        member: tmpl(pubsubAgent),
      }),
      ...gcpKmsGkeGrants(),
    );
  }
  blocks.push(
    resource('google_pubsub_topic', 'this', {
      name: m.name,
      kms_key_name: key,
      message_retention_duration: `${m.retentionSeconds}s`,
      message_storage_policy: nested({ allowed_persistence_regions: [expr('var.region')] }),
      ...keyGrant,
    }),
    resource('google_pubsub_topic', 'dead_letter', {
      name: m.dlq,
      kms_key_name: key,
      message_retention_duration: `${31 * 86400}s`,
      message_storage_policy: nested({ allowed_persistence_regions: [expr('var.region')] }),
      ...keyGrant,
    }),
    resource('google_pubsub_subscription', 'dead_letter', {
      name: m.dlq,
      topic: expr('google_pubsub_topic.dead_letter.id'),
      ack_deadline_seconds: 60,
      message_retention_duration: `${31 * 86400}s`,
      expiration_policy: nested({ ttl: '' }),
    }),
    // Dead letters reach <topic>.dlq two ways: Pub/Sub's dead-letter policy (its service agent) and the worker's own
    // dead-letter publisher after maxAttempts; both may publish, and the worker can read them back.
    resource('google_pubsub_topic_iam_member', 'dead_letter_publisher', {
      topic: expr('google_pubsub_topic.dead_letter.id'),
      role: 'roles/pubsub.publisher',
      member: tmpl(pubsubAgent),
    }),
    ...(m.workerGroups
      ? [
          resource('google_pubsub_topic_iam_member', 'dead_letter_worker', {
            for_each: expr('toset(["roles/pubsub.publisher", "roles/pubsub.viewer"])'),
            topic: expr('google_pubsub_topic.dead_letter.id'),
            role: expr('each.value'),
            member: workerSa,
          }),
          resource('google_pubsub_subscription_iam_member', 'dead_letter_worker', {
            for_each: expr('toset(["roles/pubsub.subscriber", "roles/pubsub.viewer"])'),
            subscription: expr('google_pubsub_subscription.dead_letter.name'),
            role: expr('each.value'),
            member: workerSa,
          }),
          resource('google_service_account', 'worker', {
            account_id: `${m.name.slice(0, 23)}-worker`,
            display_name: `speedlayer ${m.name} worker`,
            description: `Reads the ${m.name} subscriptions${m.lag ? ' and counts their backlog (consumer lag)' : ''}, publishes to and reads ${m.dlq}; bound to the Kubernetes service account through Workload Identity`,
          }),
          resource('google_service_account_iam_member', 'worker_workload_identity', {
            service_account_id: expr('google_service_account.worker.name'),
            role: 'roles/iam.workloadIdentityUser',
            member: tmpl(`serviceAccount:\${var.project_id}.svc.id.goog[${m.namespace}/${m.name}-worker]`),
          }),
        ]
      : []),
    // `<topic>.<group>`: the subscription the pubsub:// client joins for a group (stream/mapping.ts subscriptionName;
    // group names need no encoding)
    resource('google_pubsub_subscription', 'groups', {
      for_each: groups,
      name: tmpl(`${m.name}.\${each.value}`),
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
    }),
    ...(m.workerGroups
      ? [
          resource('google_pubsub_subscription_iam_member', 'groups_worker', {
            for_each: workerSubs,
            subscription: expr('google_pubsub_subscription.groups[each.value].name'),
            role: 'roles/pubsub.subscriber',
            member: workerSa,
          }),
          resource('google_pubsub_subscription_iam_member', 'groups_worker_viewer', {
            for_each: workerSubs,
            subscription: expr('google_pubsub_subscription.groups[each.value].name'),
            role: 'roles/pubsub.viewer',
            member: workerSa,
          }),
        ]
      : []),
    resource('google_pubsub_subscription_iam_member', 'groups_dead_letter', {
      for_each: groups,
      subscription: expr('google_pubsub_subscription.groups[each.value].name'),
      role: 'roles/pubsub.subscriber',
      member: tmpl(pubsubAgent),
    }),
    // Access as code: one Workload Identity service account per principal; publisher on the topic, subscriber on
    // the group's subscription, publisher on the dead-letter topic.
    ...gcpPrincipalServiceAccounts({
      workload: m.name,
      topic: m.name,
      principals: m.principals,
      namespace: m.namespace,
      grants: (p) => [
        ...(p.produces
          ? [{ kind: 'topic' as const, on: 'google_pubsub_topic.this.id', role: 'roles/pubsub.publisher', id: 'publisher' }]
          : []),
        ...p.groups.flatMap((g) => [
          {
            kind: 'subscription' as const,
            on: `google_pubsub_subscription.groups["${g}"].name`,
            role: 'roles/pubsub.subscriber',
            id: `subscriber_${g.replace(/[^a-z0-9]/g, '_')}`,
          },
          {
            kind: 'subscription' as const,
            on: `google_pubsub_subscription.groups["${g}"].name`,
            role: 'roles/pubsub.viewer',
            id: `viewer_${g.replace(/[^a-z0-9]/g, '_')}`,
          },
        ]),
        ...(p.groups.length > 0
          ? [
              {
                kind: 'topic' as const,
                on: 'google_pubsub_topic.dead_letter.id',
                role: 'roles/pubsub.publisher',
                id: 'dead_letter_publisher',
              },
            ]
          : []),
      ],
    }),
    ...lagGrants(m),
    // KEDA's gcp-pubsub scaler reads the subscriptions' backlog from Cloud Monitoring as the KEDA operator's
    // Kubernetes service account, granted directly through Workload Identity Federation (no key, no annotation).
    resource('google_project_iam_member', 'keda_monitoring_viewer', {
      project: expr('var.project_id'),
      role: 'roles/monitoring.viewer',
      member: tmpl(
        'principal://iam.googleapis.com/projects/${data.google_project.this.number}/locations/global/workloadIdentityPools/${var.project_id}.svc.id.goog/subject/ns/${var.keda_namespace}/sa/keda-operator',
      ),
    }),
    output('topic', { value: expr('google_pubsub_topic.this.id') }),
    output('dead_letter_topic', { value: expr('google_pubsub_topic.dead_letter.id') }),
    ...(m.workerGroups
      ? [
          output('worker_service_account_email', {
            value: expr('google_service_account.worker.email'),
            description: 'WORKER_GSA_EMAIL of the manifests.',
          }),
        ]
      : []),
  );
  if (full) {
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
      ...gkeCluster({ name: m.name, nodesMax: m.nodesMax }),
    );
  }
  return blocks;
}

/**
 * Emits Terraform (versions/variables/outputs/resources by concern) and Kubernetes manifests for a feasible plan;
 * `workload` scope leaves out the KMS key ring, audit config, DNS zone, GKE cluster and node pool (existing ones).
 */
export function emitPubSubGke(plan: TargetPlan, input: PlanInput, context: EmitContext): EmittedFile[] {
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
      streamUri: 'pubsub://${GCP_PROJECT_ID}',
      topic: m.name,
      partitions: null,
      groups: m.groups.map((g) => ({ name: g, replicas: plan.replicas })),
      resources: { cpu: w.processing.cpu, memoryMiB: w.processing.memoryMiB },
      serviceAccountAnnotations: workloadIdentityAnnotations('gcp', '${WORKER_GSA_EMAIL}'),
      groupServiceAccounts: principalServiceAccounts(m.principals, 'gcp', 'GSA_EMAIL'),
      config: { GCP_PROJECT_ID: '${GCP_PROJECT_ID}', SPEEDLAYER_ORDERING: m.ordering ? 'per-key' : 'none' },
      kedaPodIdentity: kedaPodIdentity('gcp'),
      kedaTrigger: (g) => pubsubKedaTrigger({ subscriptionName: `${m.name}.${g.name}`, value: m.backlog, activationValue: 0 }),
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
