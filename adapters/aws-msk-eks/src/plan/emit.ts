/**
 * IaC for `aws-msk-eks`: Terraform and CloudFormation for the MSK cluster (TLS in transit and in-cluster, KMS CMK at
 * rest, IAM client auth, open monitoring, brokers across 3 AZs, broker logs), the EKS cluster (private endpoint,
 * control-plane logging, secrets encryption), the IRSA role scoped to the cluster/topic/groups, topic creation
 * (Terraform `kafka_topic`; a Kubernetes Job for CloudFormation users), and the Kubernetes worker manifests.
 *
 * @packageDocumentation
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: this file writes IaC text whose ${...} are HCL, CloudFormation or envsubst placeholders, not JS templates
import {
  assertNoSecretValues,
  awsEndpointSecurityGroup,
  awsEndpointSecurityGroupCfn,
  awsKmsKey,
  awsPrincipalRoles,
  awsPrincipalRolesCfn,
  block,
  type CfnResource,
  type CfnTemplate,
  CONTAINER_SECURITY_CONTEXT,
  dataSource,
  dnsEgressRule,
  type EgressRule,
  egressRules,
  expr,
  fileHeader,
  type GrantPrincipal,
  getAtt,
  type HclBlock,
  type HclValue,
  jsonencode,
  type K8sObject,
  k8sFiles,
  kafkaKedaTrigger,
  kedaPodIdentity,
  nested,
  output,
  POD_SECURITY_CONTEXT,
  pinnedImage,
  principalServiceAccounts,
  ref,
  resource,
  select,
  split,
  sub,
  terraformFiles,
  tmpl,
  variable,
  WORKER_UID,
  workerLabels,
  workloadIdentityAnnotations,
  writeCfnYaml,
  writeK8sYaml,
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

const KAFKA_VERSION = '3.8.x';
const LOG_TYPES = ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'];

interface Model {
  name: string;
  /** Dead-letter topic (`<topic>.dlq`). */
  dlq: string;
  /** Partitions of the dead-letter topic: dead letters are few, so a handful (at most the topic's). */
  dlqPartitions: number;
  scope: EmitScope;
  namespace: string;
  groups: string[];
  /** Principals of the workload's access block (one IAM role each). */
  principals: GrantPrincipal[];
  /** Groups that run as the shared `<name>-worker` role; `undefined` when every group runs as its access principal. */
  workerGroups: string[] | undefined;
  serverless: boolean;
  brokers: number;
  brokerType: string;
  storageGiB: number;
  rf: number;
  partitions: number;
  retentionMs: number;
  maxMessageBytes: number;
  region: string;
  vpcCidr: string;
  k8sVersion: string;
  nodesMin: number;
  nodesMax: number;
}

function model(plan: TargetPlan, input: PlanInput, scope: EmitScope): Model {
  const c = plan.capacity;
  const w = input.workload;
  const podsCpu = (n: number) => n * w.consumerGroups * w.processing.cpu;
  // m5.large nodes: 2 vCPU, ~1.6 allocatable after system reservations; at least 2 nodes for spread.
  return {
    name: w.name,
    dlq: deadLetterTopicName(w.name),
    dlqPartitions: Math.min(Number(c.partitions), 4),
    scope,
    namespace: w.deploy.namespace ?? w.name,
    groups: [...input.load.groups],
    principals: accessPrincipals(w.access),
    workerGroups: workerGroups(w, input.load),
    serverless: c.mode === 'serverless',
    brokers: Number(c.brokers ?? 0),
    brokerType: String(c.brokerType ?? ''),
    storageGiB: Number(c.storageGiBPerBroker ?? 0),
    rf: Number(c.replicationFactor),
    partitions: Number(c.partitions),
    retentionMs: Math.round(w.retentionHours * 3600 * 1000),
    maxMessageBytes: Number(c.maxMessageBytes),
    region: String(c.region),
    vpcCidr: String(c.vpcCidr),
    k8sVersion: String(c.kubernetesVersion),
    nodesMin: Math.max(2, Math.ceil(podsCpu(plan.replicas.min) / 1.6)),
    nodesMax: Math.max(3, Math.ceil(podsCpu(plan.replicas.max) / 1.6)),
  };
}

function serverProperties(m: Model): string {
  return [
    'auto.create.topics.enable=false',
    `default.replication.factor=${m.rf}`,
    `min.insync.replicas=${m.rf - 1}`,
    'unclean.leader.election.enable=false',
    `message.max.bytes=${m.maxMessageBytes}`,
    `replica.fetch.max.bytes=${m.maxMessageBytes}`,
    'allow.everyone.if.no.acl.found=false',
    '',
  ].join('\n');
}

/**
 * MSK IAM statements. Worker: read the topic, commit its groups, publish dead letters to `<topic>.dlq` and read them
 * back (idempotent producer). Admin: create and alter both topics.
 */
function kafkaPolicyStatements(
  clusterArn: unknown,
  topicArn: unknown,
  dlqArn: unknown,
  groupArns: unknown[],
  admin: boolean,
): Record<string, unknown>[] {
  if (admin) {
    return [
      {
        Sid: 'Cluster',
        Effect: 'Allow',
        Action: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster'],
        Resource: [clusterArn],
      },
      {
        Sid: 'Topics',
        Effect: 'Allow',
        Action: [
          'kafka-cluster:DescribeTopic',
          'kafka-cluster:CreateTopic',
          'kafka-cluster:AlterTopic',
          'kafka-cluster:DescribeTopicDynamicConfiguration',
        ],
        Resource: [topicArn, dlqArn],
      },
    ];
  }
  return [
    {
      Sid: 'Cluster',
      Effect: 'Allow',
      Action: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster', 'kafka-cluster:WriteDataIdempotently'],
      Resource: [clusterArn],
    },
    { Sid: 'Topic', Effect: 'Allow', Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'], Resource: [topicArn] },
    {
      Sid: 'DeadLetters',
      Effect: 'Allow',
      Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData', 'kafka-cluster:ReadData'],
      Resource: [dlqArn],
    },
    {
      Sid: 'Groups',
      Effect: 'Allow',
      Action: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
      Resource: groupArns,
    },
  ];
}

/**
 * MSK IAM statements of an access principal, least privilege: producers write and describe the topic; consumers read
 * and describe it, describe and commit their groups, and publish dead letters to `<topic>.dlq`.
 */
export function principalKafkaStatements(
  p: GrantPrincipal,
  r: { cluster: unknown; topic: unknown; dlq: unknown; group: (g: string) => unknown },
): Record<string, unknown>[] {
  const consumes = p.groups.length > 0;
  return [
    {
      Sid: 'Cluster',
      Effect: 'Allow',
      Action: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster', 'kafka-cluster:WriteDataIdempotently'],
      Resource: [r.cluster],
    },
    ...(p.produces
      ? [
          {
            Sid: 'Produce',
            Effect: 'Allow',
            Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
            Resource: [r.topic],
          },
        ]
      : []),
    ...(consumes
      ? [
          {
            Sid: 'Consume',
            Effect: 'Allow',
            Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
            Resource: [r.topic],
          },
          {
            Sid: 'Groups',
            Effect: 'Allow',
            Action: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
            Resource: p.groups.map(r.group),
          },
          {
            Sid: 'DeadLetters',
            Effect: 'Allow',
            Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
            Resource: [r.dlq],
          },
        ]
      : []),
  ];
}

// ---------------------------------------------------------------- Terraform

/** The IRSA trust statement of a Kubernetes service account (`namespace:name`) through an OIDC provider. */
function irsaStatement(provider: HclValue, host: string, subject: HclValue): Record<string, HclValue> {
  return {
    Sid: 'Irsa',
    Effect: 'Allow',
    Principal: { Federated: provider },
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: { StringEquals: { [`\${${host}}:sub`]: subject, [`\${${host}}:aud`]: 'sts.amazonaws.com' } },
  };
}

/** The shared `<name>-worker` IRSA role (Terraform) of the groups no access principal names: those groups only. */
function workerRoleTf(m: Model, wg: readonly string[], oidcProvider: HclValue, kedaOperator: HclValue, sa: string): HclBlock[] {
  return [
    resource('aws_iam_role', 'worker', {
      name: `${m.name}-worker`,
      description: `IRSA role of the ${m.name} workers: read topic ${m.name}, commit its groups, publish to and read ${m.dlq}`,
      assume_role_policy: jsonencode({
        Version: '2012-10-17',
        Statement: [
          irsaStatement(oidcProvider, 'local.oidc_host', sa),
          // KEDA's aws pod identity (identityOwner: workload) assumes this role to read the groups' lag.
          { Sid: 'KedaReadsLag', Effect: 'Allow', Principal: { AWS: kedaOperator }, Action: 'sts:AssumeRole' },
        ],
      }) as never,
    }),
    resource('aws_iam_role_policy', 'worker', {
      name: 'topic-least-privilege',
      role: expr('aws_iam_role.worker.id'),
      policy: jsonencode({
        Version: '2012-10-17',
        Statement: kafkaPolicyStatements(
          expr('local.cluster_arn'),
          tmpl(`\${local.topic_arn_prefix}/${m.name}`),
          tmpl(`\${local.topic_arn_prefix}/${m.dlq}`),
          wg.map((g) => tmpl(`\${local.group_arn_prefix}/${g}`)),
          false,
        ),
      } as never) as never,
    }),
    output('worker_role_arn', { value: expr('aws_iam_role.worker.arn'), description: 'WORKER_ROLE_ARN of the manifests.' }),
  ];
}

function terraform(m: Model): HclBlock[] {
  const workloadScope = m.scope === 'workload';
  const cluster = m.serverless ? 'aws_msk_serverless_cluster.this' : 'aws_msk_cluster.this';
  const clusterArn = workloadScope ? 'var.msk_cluster_arn' : `${cluster}.arn`;
  const sa = `system:serviceaccount:${m.namespace}:${m.name}-worker`;
  const adminSa = `system:serviceaccount:${m.namespace}:${m.name}-topic-admin`;
  const oidcProvider = workloadScope ? expr('var.oidc_provider_arn') : expr('aws_iam_openid_connect_provider.eks.arn');
  const kedaOperator = workloadScope ? expr('var.keda_operator_role_arn') : expr('aws_iam_role.keda_operator.arn');
  const blocks: HclBlock[] = [
    block('terraform', [], {
      required_version: '>= 1.6.0',
      required_providers: nested({
        aws: { source: 'hashicorp/aws', version: '>= 5.60.0' },
        ...(workloadScope ? { kafka: { source: 'Mongey/kafka', version: '>= 0.8.0' } } : {}),
      } as never),
    }),
    block('provider', ['aws'], { region: expr('var.region'), default_tags: nested({ tags: expr('var.tags') }) }),
  ];
  if (workloadScope) {
    blocks.push(
      block('provider', ['kafka'], {
        bootstrap_servers: expr('split(",", data.aws_msk_bootstrap_brokers.this.bootstrap_brokers_sasl_iam)'),
        tls_enabled: true,
        sasl_mechanism: 'aws-iam',
        sasl_aws_region: expr('var.region'),
      }),
    );
  }
  blocks.push(
    variable('region', { type: expr('string'), default: m.region, description: 'AWS region.' }),
    variable('tags', {
      type: expr('map(string)'),
      default: { workload: m.name, 'managed-by': 'speedlayer' },
      description: 'Tags on every resource (provider default_tags).',
    }),
  );
  if (workloadScope) {
    blocks.push(
      variable('msk_cluster_arn', {
        type: expr('string'),
        description: 'ARN of the existing MSK cluster (Terraform must reach its brokers over IAM auth, port 9098).',
      }),
      variable('oidc_provider_arn', { type: expr('string'), description: 'IAM OIDC provider of the existing EKS cluster.' }),
      variable('oidc_issuer_host', {
        type: expr('string'),
        description: 'Issuer of the existing EKS cluster without https:// (oidc.eks.<region>.amazonaws.com/id/...).',
      }),
      variable('keda_operator_role_arn', {
        type: expr('string'),
        description: "IAM role of the cluster's KEDA operator (it assumes the worker role to read consumer lag).",
      }),
    );
  } else {
    blocks.push(
      variable('vpc_id', { type: expr('string'), description: 'VPC of the MSK and EKS clusters.' }),
      variable('vpc_cidr', { type: expr('string'), default: m.vpcCidr, description: 'CIDR of the VPC.' }),
      variable('private_subnet_ids', {
        type: expr('list(string)'),
        description: 'Three private subnets, one per AZ (brokers are spread across them).',
      }),
      variable('keda_namespace', {
        type: expr('string'),
        default: 'keda',
        description: 'Namespace of the KEDA operator (service account keda-operator).',
      }),
    );
  }
  blocks.push(dataSource('aws_caller_identity', 'current', {}), dataSource('aws_partition', 'current', {}));
  if (workloadScope) blocks.push(dataSource('aws_msk_bootstrap_brokers', 'this', { cluster_arn: expr('var.msk_cluster_arn') }));
  blocks.push(
    block('locals', [], {
      cluster_arn: expr(clusterArn),
      topic_arn_prefix: expr(`replace(${clusterArn}, ":cluster/", ":topic/")`),
      group_arn_prefix: expr(`replace(${clusterArn}, ":cluster/", ":group/")`),
      oidc_host: workloadScope
        ? expr('var.oidc_issuer_host')
        : expr('replace(aws_eks_cluster.this.identity[0].oidc[0].issuer, "https://", "")'),
      ...(m.workerGroups
        ? {
            worker_role_arn: tmpl(
              `arn:\${data.aws_partition.current.partition}:iam::\${data.aws_caller_identity.current.account_id}:role/${m.name}-worker`,
            ),
          }
        : {}),
    }),
  );
  if (!workloadScope) blocks.push(...platform(m, cluster));
  if (workloadScope) {
    // The cluster exists: Terraform creates the topic and its dead-letter topic (full scope: the topic Job does).
    for (const [id, name, partitions] of [
      ['this', m.name, m.partitions],
      ['dead_letter', m.dlq, m.dlqPartitions],
    ] as const) {
      blocks.push(
        resource('kafka_topic', id, {
          name,
          partitions,
          replication_factor: m.rf,
          config: topicConfig(m),
        }),
      );
    }
  }
  blocks.push(
    // The shared worker role only when some group runs as it, scoped to those groups.
    ...(m.workerGroups ? workerRoleTf(m, m.workerGroups, oidcProvider, kedaOperator, sa) : []),
    // Access as code: one IRSA role per principal (Kubernetes service account <namespace>/<principal>).
    ...awsPrincipalRoles({
      workload: m.name,
      topic: m.name,
      principals: m.principals,
      trust: (p) => [
        irsaStatement(oidcProvider, 'local.oidc_host', `system:serviceaccount:${m.namespace}:${p.principal}`),
        // KEDA (identityOwner: workload) assumes the role of a group's service account to read that group's lag.
        ...(p.groups.length > 0
          ? [{ Sid: 'KedaReadsLag', Effect: 'Allow', Principal: { AWS: kedaOperator }, Action: 'sts:AssumeRole' }]
          : []),
      ],
      statements: (p) =>
        principalKafkaStatements(p, {
          cluster: expr('local.cluster_arn'),
          topic: tmpl(`\${local.topic_arn_prefix}/${m.name}`),
          dlq: tmpl(`\${local.topic_arn_prefix}/${m.dlq}`),
          group: (g) => tmpl(`\${local.group_arn_prefix}/${g}`),
        }),
    }),
  );
  if (!workloadScope) {
    blocks.push(
      resource('aws_iam_role', 'topic_admin', {
        name: `${m.name}-topic-admin`,
        description: `IRSA role of the topic-creation job: create and alter topics ${m.name} and ${m.dlq} only`,
        assume_role_policy: jsonencode({
          Version: '2012-10-17',
          Statement: [irsaStatement(oidcProvider, 'local.oidc_host', adminSa)],
        }) as never,
      }),
      resource('aws_iam_role_policy', 'topic_admin', {
        name: 'topic-admin-least-privilege',
        role: expr('aws_iam_role.topic_admin.id'),
        policy: jsonencode({
          Version: '2012-10-17',
          Statement: kafkaPolicyStatements(
            expr('local.cluster_arn'),
            tmpl(`\${local.topic_arn_prefix}/${m.name}`),
            tmpl(`\${local.topic_arn_prefix}/${m.dlq}`),
            [],
            true,
          ),
        } as never) as never,
      }),
      resource('aws_iam_role', 'keda_operator', {
        name: `${m.name}-keda-operator`,
        description: 'IRSA role of the KEDA operator: assumes the worker role to read consumer lag, nothing else',
        assume_role_policy: jsonencode({
          Version: '2012-10-17',
          Statement: [
            irsaStatement(
              expr('aws_iam_openid_connect_provider.eks.arn'),
              'local.oidc_host',
              tmpl('system:serviceaccount:${var.keda_namespace}:keda-operator'),
            ),
          ],
        }) as never,
      }),
      resource('aws_iam_role_policy', 'keda_operator', {
        name: 'assume-worker-role',
        role: expr('aws_iam_role.keda_operator.id'),
        policy: jsonencode({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'AssumeWorker',
              Effect: 'Allow',
              Action: 'sts:AssumeRole',
              Resource: [
                ...(m.workerGroups ? [expr('local.worker_role_arn')] : []),
                // the roles of the groups that run as their access principal
                ...m.principals
                  .filter((p) => p.groups.length > 0)
                  .map((p) =>
                    tmpl(
                      `arn:\${data.aws_partition.current.partition}:iam::\${data.aws_caller_identity.current.account_id}:role/${m.name}-${p.principal}`,
                    ),
                  ),
              ],
            },
          ],
        }) as never,
      }),
      output('msk_cluster_arn', { value: expr('local.cluster_arn'), description: 'MSK_CLUSTER_ARN of the manifests.' }),
      output('bootstrap_brokers_sasl_iam', {
        value: expr(`${cluster}.bootstrap_brokers_sasl_iam`),
        description: 'MSK_BOOTSTRAP_BROKERS_SASL_IAM of the manifests.',
      }),
      output('topic_admin_role_arn', {
        value: expr('aws_iam_role.topic_admin.arn'),
        description: 'TOPIC_ADMIN_ROLE_ARN of the manifests.',
      }),
      output('keda_operator_role_arn', {
        value: expr('aws_iam_role.keda_operator.arn'),
        description: 'Annotate the KEDA operator service account with it (eks.amazonaws.com/role-arn).',
      }),
      output('eks_cluster_name', { value: expr('aws_eks_cluster.this.name') }),
    );
  }
  return blocks;
}

/** Topic settings; MSK Serverless rejects broker-level ones (min.insync.replicas): it fixes replication itself. */
function topicConfig(m: Model): Record<string, string> {
  return {
    'retention.ms': String(m.retentionMs),
    ...(m.serverless ? {} : { 'min.insync.replicas': String(Math.max(1, m.rf - 1)) }),
    'max.message.bytes': String(m.maxMessageBytes),
    'cleanup.policy': 'delete',
  };
}

/** The platform of `full` scope: KMS key, logs, security group, MSK cluster, EKS cluster with its add-ons and nodes. */
function platform(m: Model, cluster: string): HclBlock[] {
  const blocks: HclBlock[] = [
    ...awsKmsKey({ name: m.name, purpose: 'MSK data, EKS secrets, logs' }),
    resource('aws_cloudwatch_log_group', 'msk', {
      name: `/speedlayer/${m.name}/msk`,
      retention_in_days: 365,
      kms_key_id: expr('aws_kms_key.this.arn'),
    }),
    resource('aws_cloudwatch_log_group', 'eks', {
      name: `/aws/eks/${m.name}/cluster`,
      retention_in_days: 365,
      kms_key_id: expr('aws_kms_key.this.arn'),
    }),
    resource(
      'aws_security_group',
      'msk',
      {
        name: `${m.name}-msk`,
        description: 'MSK brokers: Kafka over TLS with IAM auth from inside the VPC only',
        vpc_id: expr('var.vpc_id'),
        ingress: nested({
          description: 'Kafka TLS + IAM (9098) from the VPC',
          from_port: 9098,
          to_port: 9098,
          protocol: 'tcp',
          cidr_blocks: [expr('var.vpc_cidr')],
        }),
        egress: nested({
          description: 'Broker replication inside the VPC',
          from_port: 9098,
          to_port: 9098,
          protocol: 'tcp',
          cidr_blocks: [expr('var.vpc_cidr')],
        }),
      },
      m.serverless
        ? [
            {
              id: 'CKV2_AWS_5',
              reason:
                "attached to aws_msk_serverless_cluster.this (vpc_config.security_group_ids); checkov's list of attaching resource types has aws_msk_cluster but not the serverless cluster",
            },
          ]
        : [],
    ),
  ];
  if (m.serverless) {
    blocks.push(
      resource('aws_msk_serverless_cluster', 'this', {
        cluster_name: m.name,
        vpc_config: nested({
          subnet_ids: expr('var.private_subnet_ids'),
          security_group_ids: [expr('aws_security_group.msk.id')],
        }),
        client_authentication: nested({ sasl: nested({ iam: nested({ enabled: true }) }) }),
      }),
    );
  } else {
    blocks.push(
      resource('aws_msk_configuration', 'this', {
        name: `${m.name}-config`,
        kafka_versions: [KAFKA_VERSION],
        server_properties: serverProperties(m),
      }),
      resource('aws_msk_cluster', 'this', {
        cluster_name: m.name,
        kafka_version: KAFKA_VERSION,
        number_of_broker_nodes: m.brokers,
        enhanced_monitoring: 'PER_TOPIC_PER_PARTITION',
        broker_node_group_info: nested({
          instance_type: m.brokerType,
          client_subnets: expr('var.private_subnet_ids'),
          security_groups: [expr('aws_security_group.msk.id')],
          storage_info: nested({ ebs_storage_info: nested({ volume_size: m.storageGiB }) }),
          connectivity_info: nested({ public_access: nested({ type: 'DISABLED' }) }),
        }),
        client_authentication: nested({ unauthenticated: false, sasl: nested({ iam: true }) }),
        encryption_info: nested({
          encryption_at_rest_kms_key_arn: expr('aws_kms_key.this.arn'),
          encryption_in_transit: nested({ client_broker: 'TLS', in_cluster: true }),
        }),
        configuration_info: nested({
          arn: expr('aws_msk_configuration.this.arn'),
          revision: expr('aws_msk_configuration.this.latest_revision'),
        }),
        open_monitoring: nested({
          prometheus: nested({
            jmx_exporter: nested({ enabled_in_broker: true }),
            node_exporter: nested({ enabled_in_broker: true }),
          }),
        }),
        logging_info: nested({
          broker_logs: nested({
            cloudwatch_logs: nested({ enabled: true, log_group: expr('aws_cloudwatch_log_group.msk.name') }),
          }),
        }),
      }),
    );
  }
  void cluster;
  blocks.push(
    // IRSA exchanges the pod's token at STS; the workers' NetworkPolicy allows 443 inside the VPC only, so STS is
    // reached through this interface endpoint (private DNS), never through a NAT.
    awsEndpointSecurityGroup(m.name, 'STS'),
    resource('aws_vpc_endpoint', 'sts', {
      vpc_id: expr('var.vpc_id'),
      service_name: tmpl('com.amazonaws.${var.region}.sts'),
      vpc_endpoint_type: 'Interface',
      private_dns_enabled: true,
      subnet_ids: expr('var.private_subnet_ids'),
      security_group_ids: [expr('aws_security_group.endpoints.id')],
    }),
    resource('aws_iam_role', 'eks_cluster', {
      name: `${m.name}-eks-cluster`,
      assume_role_policy: jsonencode({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'eks.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }) as never,
    }),
    resource('aws_iam_role_policy_attachment', 'eks_cluster', {
      role: expr('aws_iam_role.eks_cluster.name'),
      policy_arn: tmpl('arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonEKSClusterPolicy'),
    }),
    resource('aws_eks_cluster', 'this', {
      name: m.name,
      role_arn: expr('aws_iam_role.eks_cluster.arn'),
      version: m.k8sVersion,
      enabled_cluster_log_types: LOG_TYPES,
      bootstrap_self_managed_addons: false,
      vpc_config: nested({
        subnet_ids: expr('var.private_subnet_ids'),
        endpoint_private_access: true,
        endpoint_public_access: false,
      }),
      encryption_config: nested({ resources: ['secrets'], provider: nested({ key_arn: expr('aws_kms_key.this.arn') }) }),
      access_config: nested({ authentication_mode: 'API' }),
      depends_on: [expr('aws_cloudwatch_log_group.eks'), expr('aws_iam_role_policy_attachment.eks_cluster')],
    }),
    // The VPC CNI enforces NetworkPolicy only with its network policy agent on: without it the policies are decoration.
    resource('aws_eks_addon', 'vpc_cni', {
      cluster_name: expr('aws_eks_cluster.this.name'),
      addon_name: 'vpc-cni',
      configuration_values: jsonencode({ enableNetworkPolicy: 'true' }) as never,
      resolve_conflicts_on_create: 'OVERWRITE',
      resolve_conflicts_on_update: 'OVERWRITE',
    }),
    resource('aws_eks_addon', 'core', {
      for_each: expr('toset(["coredns", "kube-proxy"])'),
      cluster_name: expr('aws_eks_cluster.this.name'),
      addon_name: expr('each.value'),
      depends_on: [expr('aws_eks_node_group.workers')],
    }),
    resource('aws_iam_openid_connect_provider', 'eks', {
      url: expr('aws_eks_cluster.this.identity[0].oidc[0].issuer'),
      client_id_list: ['sts.amazonaws.com'],
    }),
    resource('aws_iam_role', 'node', {
      name: `${m.name}-eks-node`,
      assume_role_policy: jsonencode({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }) as never,
    }),
    resource('aws_iam_role_policy_attachment', 'node', {
      for_each: expr('toset(["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"])'),
      role: expr('aws_iam_role.node.name'),
      policy_arn: tmpl('arn:${data.aws_partition.current.partition}:iam::aws:policy/${each.value}'),
    }),
    resource('aws_eks_node_group', 'workers', {
      cluster_name: expr('aws_eks_cluster.this.name'),
      node_group_name: `${m.name}-workers`,
      node_role_arn: expr('aws_iam_role.node.arn'),
      subnet_ids: expr('var.private_subnet_ids'),
      instance_types: ['m5.large'],
      scaling_config: nested({ desired_size: m.nodesMin, min_size: m.nodesMin, max_size: m.nodesMax }),
      depends_on: [expr('aws_iam_role_policy_attachment.node'), expr('aws_eks_addon.vpc_cni')],
    }),
  );
  return blocks;
}

// ---------------------------------------------------------------- CloudFormation

function cloudformation(m: Model, header: string[]): string {
  const tags = [
    { Key: 'workload', Value: m.name },
    { Key: 'managed-by', Value: 'speedlayer' },
  ];
  const mapTags = { workload: m.name, 'managed-by': 'speedlayer' };
  const clusterRes = m.serverless ? 'ServerlessCluster' : 'MskCluster';
  const R: Record<string, CfnResource> = {};
  R.Key = {
    Type: 'AWS::KMS::Key',
    DeletionPolicy: 'Retain',
    UpdateReplacePolicy: 'Retain',
    Properties: {
      Description: `speedlayer ${m.name}: MSK data, EKS secrets, logs`,
      EnableKeyRotation: true,
      PendingWindowInDays: 30,
      KeyPolicy: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'AccountAdmin',
            Effect: 'Allow',
            Principal: { AWS: sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:root') },
            Action: 'kms:*',
            Resource: '*',
          },
          {
            Sid: 'CloudWatchLogs',
            Effect: 'Allow',
            Principal: { Service: sub('logs.${AWS::Region}.amazonaws.com') },
            Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
            Resource: '*',
          },
        ],
      },
      Tags: tags,
    },
  };
  R.KeyAlias = { Type: 'AWS::KMS::Alias', Properties: { AliasName: `alias/speedlayer-${m.name}`, TargetKeyId: ref('Key') } };
  R.MskLogGroup = {
    Type: 'AWS::Logs::LogGroup',
    DeletionPolicy: 'Retain',
    UpdateReplacePolicy: 'Retain',
    Properties: { LogGroupName: `/speedlayer/${m.name}/msk`, RetentionInDays: 365, KmsKeyId: getAtt('Key', 'Arn') },
  };
  R.EksLogGroup = {
    Type: 'AWS::Logs::LogGroup',
    DeletionPolicy: 'Retain',
    UpdateReplacePolicy: 'Retain',
    Properties: { LogGroupName: `/aws/eks/${m.name}/cluster`, RetentionInDays: 365, KmsKeyId: getAtt('Key', 'Arn') },
  };
  R.MskSecurityGroup = {
    Type: 'AWS::EC2::SecurityGroup',
    Properties: {
      GroupDescription: 'MSK brokers: Kafka over TLS with IAM auth from inside the VPC only',
      VpcId: ref('VpcId'),
      SecurityGroupIngress: [
        {
          Description: 'Kafka TLS + IAM (9098) from the VPC',
          IpProtocol: 'tcp',
          FromPort: 9098,
          ToPort: 9098,
          CidrIp: ref('VpcCidr'),
        },
      ],
      SecurityGroupEgress: [
        {
          Description: 'Broker replication inside the VPC',
          IpProtocol: 'tcp',
          FromPort: 9098,
          ToPort: 9098,
          CidrIp: ref('VpcCidr'),
        },
      ],
      Tags: tags,
    },
  };
  if (m.serverless) {
    R.ServerlessCluster = {
      Type: 'AWS::MSK::ServerlessCluster',
      Properties: {
        ClusterName: m.name,
        ClientAuthentication: { Sasl: { Iam: { Enabled: true } } },
        VpcConfigs: [{ SubnetIds: ref('PrivateSubnetIds'), SecurityGroups: [ref('MskSecurityGroup')] }],
        Tags: mapTags,
      },
    };
  } else {
    R.MskConfiguration = {
      Type: 'AWS::MSK::Configuration',
      Properties: { Name: `${m.name}-config`, KafkaVersionsList: [KAFKA_VERSION], ServerProperties: serverProperties(m) },
    };
    R.MskCluster = {
      Type: 'AWS::MSK::Cluster',
      Properties: {
        ClusterName: m.name,
        KafkaVersion: KAFKA_VERSION,
        NumberOfBrokerNodes: m.brokers,
        EnhancedMonitoring: 'PER_TOPIC_PER_PARTITION',
        BrokerNodeGroupInfo: {
          InstanceType: m.brokerType,
          ClientSubnets: ref('PrivateSubnetIds'),
          SecurityGroups: [ref('MskSecurityGroup')],
          StorageInfo: { EBSStorageInfo: { VolumeSize: m.storageGiB } },
          ConnectivityInfo: { PublicAccess: { Type: 'DISABLED' } },
        },
        ClientAuthentication: { Sasl: { Iam: { Enabled: true } }, Unauthenticated: { Enabled: false } },
        EncryptionInfo: {
          EncryptionAtRest: { DataVolumeKMSKeyId: getAtt('Key', 'Arn') },
          EncryptionInTransit: { ClientBroker: 'TLS', InCluster: true },
        },
        ConfigurationInfo: { Arn: getAtt('MskConfiguration', 'Arn'), Revision: 1 },
        OpenMonitoring: { Prometheus: { JmxExporter: { EnabledInBroker: true }, NodeExporter: { EnabledInBroker: true } } },
        LoggingInfo: { BrokerLogs: { CloudWatchLogs: { Enabled: true, LogGroup: ref('MskLogGroup') } } },
        Tags: mapTags,
      },
    };
  }
  R.EndpointSecurityGroup = awsEndpointSecurityGroupCfn('STS', tags);
  R.StsEndpoint = {
    Type: 'AWS::EC2::VPCEndpoint',
    Properties: {
      VpcId: ref('VpcId'),
      ServiceName: sub('com.amazonaws.${AWS::Region}.sts'),
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
      SubnetIds: ref('PrivateSubnetIds'),
      SecurityGroupIds: [ref('EndpointSecurityGroup')],
    },
  };
  R.EksClusterRole = {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'eks.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      ManagedPolicyArns: [sub('arn:${AWS::Partition}:iam::aws:policy/AmazonEKSClusterPolicy')],
      Tags: tags,
    },
  };
  R.EksCluster = {
    Type: 'AWS::EKS::Cluster',
    DependsOn: ['EksLogGroup'],
    Properties: {
      Name: m.name,
      RoleArn: getAtt('EksClusterRole', 'Arn'),
      Version: m.k8sVersion,
      ResourcesVpcConfig: { SubnetIds: ref('PrivateSubnetIds'), EndpointPrivateAccess: true, EndpointPublicAccess: false },
      Logging: { ClusterLogging: { EnabledTypes: LOG_TYPES.map((Type) => ({ Type })) } },
      EncryptionConfig: [{ Provider: { KeyArn: getAtt('Key', 'Arn') }, Resources: ['secrets'] }],
      AccessConfig: { AuthenticationMode: 'API' },
      BootstrapSelfManagedAddons: false,
      Tags: tags,
    },
  };
  // The VPC CNI enforces NetworkPolicy only with its network policy agent on.
  R.VpcCniAddon = {
    Type: 'AWS::EKS::Addon',
    Properties: {
      ClusterName: ref('EksCluster'),
      AddonName: 'vpc-cni',
      ConfigurationValues: JSON.stringify({ enableNetworkPolicy: 'true' }),
      ResolveConflicts: 'OVERWRITE',
      Tags: tags,
    },
  };
  for (const addon of ['coredns', 'kube-proxy']) {
    R[addon === 'coredns' ? 'CoreDnsAddon' : 'KubeProxyAddon'] = {
      Type: 'AWS::EKS::Addon',
      DependsOn: ['NodeGroup'],
      Properties: { ClusterName: ref('EksCluster'), AddonName: addon, Tags: tags },
    };
  }
  R.EksOidcProvider = {
    Type: 'AWS::IAM::OIDCProvider',
    Properties: { Url: getAtt('EksCluster', 'OpenIdConnectIssuerUrl'), ClientIdList: ['sts.amazonaws.com'], Tags: tags },
  };
  R.NodeRole = {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      ManagedPolicyArns: ['AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy', 'AmazonEC2ContainerRegistryReadOnly'].map((p) =>
        sub(`arn:\${AWS::Partition}:iam::aws:policy/${p}`),
      ),
      Tags: tags,
    },
  };
  R.NodeGroup = {
    Type: 'AWS::EKS::Nodegroup',
    DependsOn: ['VpcCniAddon'],
    Properties: {
      ClusterName: ref('EksCluster'),
      NodegroupName: `${m.name}-workers`,
      NodeRole: getAtt('NodeRole', 'Arn'),
      Subnets: ref('PrivateSubnetIds'),
      InstanceTypes: ['m5.large'],
      ScalingConfig: { DesiredSize: m.nodesMin, MinSize: m.nodesMin, MaxSize: m.nodesMax },
      Tags: mapTags,
    },
  };
  const oidcHost = select(1, split('//', getAtt('EksCluster', 'OpenIdConnectIssuerUrl')));
  const trust = (subject: string, keda = false) =>
    sub(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Federated: '${OidcProviderArn}' },
            Action: 'sts:AssumeRoleWithWebIdentity',
            Condition: { StringEquals: { '${OidcHost}:sub': subject, '${OidcHost}:aud': 'sts.amazonaws.com' } },
          },
          // KEDA's aws pod identity (identityOwner: workload) assumes the worker role to read the groups' lag.
          ...(keda
            ? [{ Sid: 'KedaReadsLag', Effect: 'Allow', Principal: { AWS: '${KedaOperatorRoleArn}' }, Action: 'sts:AssumeRole' }]
            : []),
        ],
      }),
      {
        OidcHost: oidcHost,
        OidcProviderArn: getAtt('EksOidcProvider', 'Arn'),
        ...(keda ? { KedaOperatorRoleArn: getAtt('KedaOperatorRole', 'Arn') } : {}),
      },
    );
  const saSubject = (name: string) => `system:serviceaccount:${m.namespace}:${name}`;
  const clusterArn = ref(clusterRes);
  const topicArn = sub(`\${Prefix}/${m.name}`, { Prefix: { 'Fn::Join': [':topic/', split(':cluster/', ref(clusterRes))] } });
  const dlqArn = sub(`\${Prefix}/${m.dlq}`, { Prefix: { 'Fn::Join': [':topic/', split(':cluster/', ref(clusterRes))] } });
  const groupArns = (m.workerGroups ?? []).map((g) =>
    sub(`\${Prefix}/${g}`, { Prefix: { 'Fn::Join': [':group/', split(':cluster/', ref(clusterRes))] } }),
  );
  if (m.workerGroups)
    R.WorkerRole = {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: `${m.name}-worker`,
        Description: `IRSA role of the ${m.name} workers: read topic ${m.name}, commit its groups, publish to and read ${m.dlq}`,
        AssumeRolePolicyDocument: trust(saSubject(`${m.name}-worker`), true),
        Policies: [
          {
            PolicyName: 'topic-least-privilege',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: kafkaPolicyStatements(clusterArn, topicArn, dlqArn, groupArns, false),
            },
          },
        ],
        Tags: tags,
      },
    };
  R.TopicAdminRole = {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: `IRSA role of the topic-creation job: create and alter topics ${m.name} and ${m.dlq} only`,
      AssumeRolePolicyDocument: trust(saSubject(`${m.name}-topic-admin`)),
      Policies: [
        {
          PolicyName: 'topic-admin-least-privilege',
          PolicyDocument: { Version: '2012-10-17', Statement: kafkaPolicyStatements(clusterArn, topicArn, dlqArn, [], true) },
        },
      ],
      Tags: tags,
    },
  };
  R.KedaOperatorRole = {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: 'IRSA role of the KEDA operator: assumes the worker role to read consumer lag, nothing else',
      AssumeRolePolicyDocument: trust('system:serviceaccount:${KedaNamespace}:keda-operator'),
      Policies: [
        {
          PolicyName: 'assume-worker-role',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'AssumeWorker',
                Effect: 'Allow',
                Action: 'sts:AssumeRole',
                Resource: [
                  ...(m.workerGroups ? [sub(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${m.name}-worker`)] : []),
                  ...m.principals
                    .filter((p) => p.groups.length > 0)
                    .map((p) => sub(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${m.name}-${p.principal}`)),
                ],
              },
            ],
          },
        },
      ],
      Tags: tags,
    },
  };
  // Access as code: one IRSA role per principal (Kubernetes service account <namespace>/<principal>).
  const principals = awsPrincipalRolesCfn({
    workload: m.name,
    topic: m.name,
    principals: m.principals,
    trust: (p) => trust(saSubject(p.principal), p.groups.length > 0),
    statements: (p) =>
      principalKafkaStatements(p, {
        cluster: clusterArn,
        topic: topicArn,
        dlq: dlqArn,
        group: (g) => sub(`\${Prefix}/${g}`, { Prefix: { 'Fn::Join': [':group/', split(':cluster/', ref(clusterRes))] } }),
      }),
    tags,
  });
  Object.assign(R, principals.resources);
  const t: CfnTemplate = {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `speedlayer ${m.name} on MSK + EKS: ${m.serverless ? 'MSK Serverless' : `${m.brokers} x ${m.brokerType}`}, topic ${m.name} with ${m.partitions} partitions (created by kubernetes/05-topic-job.yaml)`,
    Parameters: {
      VpcId: { Type: 'AWS::EC2::VPC::Id', Description: 'VPC of the MSK and EKS clusters.' },
      VpcCidr: {
        Type: 'String',
        Default: m.vpcCidr,
        Description: 'CIDR of the VPC.',
        AllowedPattern: '^\\d+\\.\\d+\\.\\d+\\.\\d+/\\d+$',
      },
      PrivateSubnetIds: { Type: 'List<AWS::EC2::Subnet::Id>', Description: 'Three private subnets, one per AZ.' },
      KedaNamespace: {
        Type: 'String',
        Default: 'keda',
        Description: 'Namespace of the KEDA operator (service account keda-operator).',
      },
    },
    Resources: R,
    Outputs: {
      MskClusterArn: { Value: ref(clusterRes) },
      ...(m.workerGroups ? { WorkerRoleArn: { Value: getAtt('WorkerRole', 'Arn') } } : {}),
      TopicAdminRoleArn: { Value: getAtt('TopicAdminRole', 'Arn') },
      KedaOperatorRoleArn: { Value: getAtt('KedaOperatorRole', 'Arn') },
      EksClusterName: { Value: ref('EksCluster') },
      ...principals.outputs,
    },
  };
  return writeCfnYaml(t, header);
}

// ---------------------------------------------------------------- Kubernetes

/** MSK brokers (IAM auth over TLS, 9098) and the STS VPC endpoint (IRSA token exchange), both inside the VPC. */
function mskEgress(m: Model): EgressRule[] {
  return [
    { cidrs: [m.vpcCidr], ports: [9098], why: 'MSK brokers: Kafka over TLS with IAM auth (9098) inside the VPC' },
    { cidrs: [m.vpcCidr], ports: [443], why: 'STS VPC endpoint for IRSA web-identity token exchange' },
  ];
}

function topicContainer(m: Model, name: string, topic: string, partitions: number, image: string): Record<string, unknown> {
  return {
    name,
    image: pinnedImage(image),
    imagePullPolicy: 'IfNotPresent',
    command: ['speedlayer'],
    args: [
      'topic',
      'create',
      topic,
      '--stream',
      '$(SPEEDLAYER_STREAM)',
      '--partitions',
      String(partitions),
      '--retention-hours',
      String(Math.ceil(m.retentionMs / 3_600_000)),
    ],
    env: [
      {
        name: 'SPEEDLAYER_STREAM',
        valueFrom: { configMapKeyRef: { name: `${m.name}-config`, key: 'SPEEDLAYER_STREAM' } },
      },
    ],
    envFrom: [{ configMapRef: { name: `${m.name}-config` } }],
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '200m', memory: '256Mi' } },
    securityContext: { ...structuredClone(CONTAINER_SECURITY_CONTEXT), runAsUser: WORKER_UID },
    livenessProbe: { exec: { command: ['speedlayer', '--version'] }, periodSeconds: 30 },
    readinessProbe: { exec: { command: ['speedlayer', '--version'] }, periodSeconds: 30 },
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
  };
}

/**
 * The topic Job of `full` scope (MSK is private: Terraform outside the VPC cannot reach the brokers): creates the
 * topic and its dead-letter topic with the topic-admin IRSA role, under a NetworkPolicy that allows DNS, the brokers
 * and STS.
 */
function topicJob(m: Model, image: string): K8sObject[] {
  const labels = { ...workerLabels({ name: m.name, target: 'aws-msk-eks' }), 'app.kubernetes.io/component': 'topic-admin' };
  const selector = { 'app.kubernetes.io/name': m.name, 'app.kubernetes.io/component': 'topic-admin' };
  const egress = mskEgress(m);
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: `${m.name}-topic-admin`,
        namespace: m.namespace,
        labels,
        annotations: workloadIdentityAnnotations('aws', '${TOPIC_ADMIN_ROLE_ARN}'),
      },
      automountServiceAccountToken: false,
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: {
        name: `${m.name}-topic-admin`,
        namespace: m.namespace,
        labels,
        annotations: Object.fromEntries(egress.map((e, i) => [`speedlayer.dev/egress-${i + 1}`, e.why])),
      },
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ['Ingress', 'Egress'],
        egress: [dnsEgressRule(), ...egressRules(egress)],
      },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: `${m.name}-topic-ensure`, namespace: m.namespace, labels },
      spec: {
        backoffLimit: 6,
        ttlSecondsAfterFinished: 3600,
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: `${m.name}-topic-admin`,
            automountServiceAccountToken: false,
            restartPolicy: 'OnFailure',
            securityContext: structuredClone(POD_SECURITY_CONTEXT),
            containers: [
              topicContainer(m, 'topic', m.name, m.partitions, image),
              topicContainer(m, 'dead-letter-topic', m.dlq, m.dlqPartitions, image),
            ],
            volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '16Mi' } }],
          },
        },
      },
    },
  ];
}

/**
 * Emits IaC for a feasible plan. `full` scope: Terraform (versions/variables/outputs/resources by concern) and
 * CloudFormation for the whole stack, Kubernetes manifests and the topic Job. `workload` scope: Terraform for the
 * topics and identities on an existing MSK + EKS, and the workload's own Kubernetes objects.
 */
export function emitMskEks(plan: TargetPlan, input: PlanInput, context: EmitContext): EmittedFile[] {
  const m = model(plan, input, context.scope ?? 'full');
  const header = fileHeader({ generator: context.generator, workload: m.name, target: plan.target });
  const w = input.workload;
  const k8s = k8sFiles(
    {
      name: m.name,
      namespace: m.namespace,
      target: plan.target,
      image: w.deploy.image,
      handler: w.deploy.handler,
      streamUri: 'msk://${MSK_CLUSTER_ARN}',
      topic: m.name,
      partitions: m.partitions,
      groups: m.groups.map((g) => ({ name: g, replicas: plan.replicas })),
      resources: { cpu: w.processing.cpu, memoryMiB: w.processing.memoryMiB },
      serviceAccountAnnotations: workloadIdentityAnnotations('aws', '${WORKER_ROLE_ARN}'),
      groupServiceAccounts: principalServiceAccounts(m.principals, 'aws', 'ROLE_ARN'),
      config: {
        SPEEDLAYER_KAFKA_BOOTSTRAP: '${MSK_BOOTSTRAP_BROKERS_SASL_IAM}',
        AWS_REGION: m.region,
        SPEEDLAYER_KAFKA_AUTH: 'aws-msk-iam',
      },
      kedaPodIdentity: kedaPodIdentity('aws'),
      kedaTrigger: (g) =>
        kafkaKedaTrigger({
          bootstrapServersFromEnv: 'SPEEDLAYER_KAFKA_BOOTSTRAP',
          consumerGroup: g.name,
          topic: m.name,
          lagThreshold: 10,
          extra: { offsetResetPolicy: 'earliest', sasl: 'aws_msk_iam', tls: 'enable', awsRegion: m.region },
        }),
      egress: mskEgress(m),
      scope: m.scope,
    },
    header,
  );
  const files: EmittedFile[] = [
    ...terraformFiles(terraform(m), header).map((f) => ({ ...f, kind: 'terraform' as const })),
    ...(m.scope === 'full'
      ? [{ path: 'cloudformation/stack.yaml', content: cloudformation(m, header), kind: 'cloudformation' as const }]
      : []),
    ...k8s.map((f) => ({ ...f, kind: 'kubernetes' as const })),
    ...(m.scope === 'full'
      ? [
          {
            path: 'kubernetes/05-topic-job.yaml',
            content: writeK8sYaml(topicJob(m, w.deploy.image), [
              ...header,
              `Creates topics ${m.name} and ${m.dlq} (MSK is private: Terraform outside the VPC cannot reach the brokers).`,
            ]),
            kind: 'kubernetes' as const,
          },
        ]
      : []),
  ];
  for (const f of files) assertNoSecretValues(f.path, f.content);
  return files;
}
