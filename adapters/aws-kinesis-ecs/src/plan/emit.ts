/**
 * IaC for `aws-kinesis-ecs`: Terraform and CloudFormation for the Kinesis stream (KMS CMK, retention, shards or
 * on-demand), EFO consumers, KCL lease tables (key `leaseKey`), ECS cluster, Fargate task definition and service per
 * consumer group (desired count = shards), Application Auto Scaling (max = shards), least-privilege task role,
 * VPC endpoints, encrypted logs.
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
  dataSource,
  expr,
  fileHeader,
  type GrantPrincipal,
  getAtt,
  groupPrincipals,
  type HclBlock,
  type HclValue,
  jsonencode,
  nested,
  output,
  principalLogicalId,
  principalPlaceholder,
  principalResourceName,
  ref,
  resource,
  sub,
  terraformFiles,
  tmpl,
  variable,
  writeCfnYaml,
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

/** An image digest (`sha256:` and 64 hex digits): the only way the task definitions name their image. */
const DIGEST_PATTERN = '^sha256:[a-f0-9]{64}$';

const INTERFACE_ENDPOINTS = ['kinesis-streams', 'logs', 'sts', 'ecr.api', 'ecr.dkr', 'kms', 'monitoring'] as const;
const GATEWAY_ENDPOINTS = ['dynamodb', 's3'] as const;

/** What a KCL-layout consumer does with its group's DynamoDB lease table. */
const LEASE_TABLE_ACTIONS = [
  'dynamodb:DescribeTable',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Scan',
  'dynamodb:Query',
];

function pascal(s: string): string {
  return s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join('');
}

interface Model {
  name: string;
  /** Dead-letter stream (`<stream>.dlq`). */
  dlq: string;
  scope: EmitScope;
  groups: string[];
  /** Principals of the workload's access block (one ECS task role each). */
  principals: GrantPrincipal[];
  /** Groups that run as the shared `<name>-worker` task role; `undefined` when every group runs as its principal. */
  workerGroups: string[] | undefined;
  /** The principal a named group's service runs as (its task role). */
  groupPrincipal: Map<string, string>;
  shards: number;
  onDemand: boolean;
  efo: boolean;
  retentionHours: number;
  region: string;
  vpcCidr: string;
  cpu: number;
  memoryMiB: number;
  min: number;
  max: number;
  image: string;
  handler: string;
}

function model(plan: TargetPlan, input: PlanInput, scope: EmitScope): Model {
  const c = plan.capacity;
  return {
    name: input.workload.name,
    dlq: deadLetterTopicName(input.workload.name),
    scope,
    groups: [...input.load.groups],
    principals: accessPrincipals(input.workload.access),
    workerGroups: workerGroups(input.workload, input.load),
    groupPrincipal: groupPrincipals(accessPrincipals(input.workload.access)),
    shards: Number(c.shards),
    onDemand: c.mode === 'on-demand',
    efo: c.fanOut === 'efo',
    retentionHours: Number(c.retentionHours),
    region: String(c.region),
    vpcCidr: String(c.vpcCidr),
    cpu: Number(c.taskCpu),
    memoryMiB: Number(c.taskMemoryMiB),
    min: plan.replicas.min,
    max: plan.replicas.max,
    image: input.workload.deploy.image,
    handler: input.workload.deploy.handler,
  };
}

function containerDefinition(
  m: Model,
  group: unknown,
  o: { image: unknown; logGroup: unknown; region: unknown; streamUri: unknown },
): Record<string, unknown> {
  return {
    name: 'worker',
    image: o.image,
    essential: true,
    user: '10001:10001',
    readonlyRootFilesystem: true,
    privileged: false,
    command: ['speedlayer', 'worker', '--stream', o.streamUri, '--topic', m.name, '--group', group, '--handler', m.handler],
    environment: [
      { name: 'SPEEDLAYER_GROUP', value: group },
      { name: 'SPEEDLAYER_LEASE_TABLE', value: group },
      { name: 'SPEEDLAYER_FAN_OUT', value: m.efo ? 'efo' : 'shared' },
      { name: 'SPEEDLAYER_TLS', value: 'required' },
    ],
    linuxParameters: { initProcessEnabled: true, capabilities: { drop: ['ALL'] } },
    mountPoints: [{ sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false }],
    logConfiguration: {
      logDriver: 'awslogs',
      options: { 'awslogs-group': o.logGroup, 'awslogs-region': o.region, 'awslogs-stream-prefix': group },
    },
  };
}

// ---------------------------------------------------------------- Terraform

const SHARD_METRICS = [
  'IncomingBytes',
  'IncomingRecords',
  'OutgoingBytes',
  'OutgoingRecords',
  'IteratorAgeMilliseconds',
  'ReadProvisionedThroughputExceeded',
  'WriteProvisionedThroughputExceeded',
];

/** The task role's statements: read the stream, lease tables, publish dead letters to `<stream>.dlq` and read them. */
function taskStatements(
  m: Model,
  r: { stream: unknown; dlq: unknown; consumers: unknown; tables: unknown; key: unknown },
): Record<string, unknown>[] {
  const read = [
    'kinesis:DescribeStream',
    'kinesis:DescribeStreamSummary',
    'kinesis:GetRecords',
    'kinesis:GetShardIterator',
    'kinesis:ListShards',
  ];
  return [
    { Sid: 'ReadStream', Effect: 'Allow', Action: read, Resource: [r.stream] },
    { Sid: 'DeadLetters', Effect: 'Allow', Action: [...read, 'kinesis:PutRecord', 'kinesis:PutRecords'], Resource: [r.dlq] },
    ...(m.efo
      ? [
          {
            Sid: 'FanOut',
            Effect: 'Allow',
            Action: ['kinesis:DescribeStreamConsumer', 'kinesis:SubscribeToShard'],
            Resource: r.consumers,
          },
        ]
      : []),
    {
      Sid: 'LeaseTables',
      Effect: 'Allow',
      Action: LEASE_TABLE_ACTIONS,
      Resource: r.tables,
    },
    { Sid: 'Key', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: [r.key] },
    {
      Sid: 'KclMetrics',
      Effect: 'Allow',
      Action: ['cloudwatch:PutMetricData'],
      Resource: '*',
      Condition: { StringLike: { 'cloudwatch:namespace': `${m.name}*` } },
    },
  ];
}

/**
 * IAM statements of an access principal, least privilege: producers put records on the stream (and encrypt with its
 * key); consumers read the stream, their groups' lease tables (and EFO consumers), decrypt, and publish dead letters.
 */
export function principalKinesisStatements(
  m: Pick<Model, 'name' | 'efo'>,
  p: GrantPrincipal,
  r: { stream: unknown; dlq: unknown; key: unknown; table: (g: string) => unknown; consumer: (g: string) => unknown },
): Record<string, unknown>[] {
  const consumes = p.groups.length > 0;
  const out: Record<string, unknown>[] = [];
  if (p.produces) {
    out.push({
      Sid: 'Produce',
      Effect: 'Allow',
      Action: ['kinesis:PutRecord', 'kinesis:PutRecords', 'kinesis:DescribeStreamSummary', 'kinesis:ListShards'],
      Resource: [r.stream],
    });
  }
  if (consumes) {
    out.push(
      {
        Sid: 'Consume',
        Effect: 'Allow',
        Action: [
          'kinesis:GetRecords',
          'kinesis:GetShardIterator',
          'kinesis:DescribeStream',
          'kinesis:DescribeStreamSummary',
          'kinesis:ListShards',
        ],
        Resource: [r.stream],
      },
      ...(m.efo
        ? [
            {
              Sid: 'FanOut',
              Effect: 'Allow',
              Action: ['kinesis:DescribeStreamConsumer', 'kinesis:SubscribeToShard'],
              Resource: p.groups.map(r.consumer),
            },
          ]
        : []),
      {
        Sid: 'LeaseTables',
        Effect: 'Allow',
        Action: LEASE_TABLE_ACTIONS,
        Resource: p.groups.map(r.table),
      },
      { Sid: 'DeadLetters', Effect: 'Allow', Action: ['kinesis:PutRecord', 'kinesis:PutRecords'], Resource: [r.dlq] },
      // Its groups' ECS services run as this role: the worker's metrics, as the shared task role has them.
      {
        Sid: 'KclMetrics',
        Effect: 'Allow',
        Action: ['cloudwatch:PutMetricData'],
        Resource: '*',
        Condition: { StringLike: { 'cloudwatch:namespace': `${m.name}*` } },
      },
    );
  }
  out.push({
    Sid: 'Key',
    Effect: 'Allow',
    Action: [...(consumes ? ['kms:Decrypt'] : []), 'kms:GenerateDataKey'],
    Resource: [r.key],
  });
  return out;
}

/** The trust statement of an ECS task role: ECS tasks of this account only (confused-deputy guard). */
function ecsTaskTrust(account: unknown): Record<string, unknown> {
  return {
    Effect: 'Allow',
    Principal: { Service: 'ecs-tasks.amazonaws.com' },
    Action: 'sts:AssumeRole',
    Condition: { StringEquals: { 'aws:SourceAccount': account } },
  };
}

/**
 * The shared `<name>-worker` task role (Terraform) of the groups no access principal names: their lease tables and EFO
 * consumers only (every group's when the workload has no access block).
 */
function terraformTaskRole(m: Model, groups: readonly string[]): HclBlock[] {
  const all = groups.length === m.groups.length;
  return [
    resource('aws_iam_role', 'task', {
      name: `${m.name}-worker`,
      description: `speedlayer worker for stream ${m.name}: read the stream and its lease tables, publish to and read ${m.dlq}`,
      assume_role_policy: jsonencode({
        Version: '2012-10-17',
        Statement: [ecsTaskTrust(expr('data.aws_caller_identity.current.account_id'))],
      } as never) as never,
    }),
    resource('aws_iam_role_policy', 'task', {
      name: 'stream-least-privilege',
      role: expr('aws_iam_role.task.id'),
      policy: jsonencode({
        Version: '2012-10-17',
        Statement: taskStatements(m, {
          stream: expr('aws_kinesis_stream.this.arn'),
          dlq: expr('aws_kinesis_stream.dead_letter.arn'),
          consumers: all
            ? expr('[for c in aws_kinesis_stream_consumer.groups : c.arn]')
            : groups.map((g) => expr(`aws_kinesis_stream_consumer.groups["${g}"].arn`)),
          tables: all
            ? expr('[for t in aws_dynamodb_table.lease : t.arn]')
            : groups.map((g) => expr(`aws_dynamodb_table.lease["${g}"].arn`)),
          key: expr('aws_kms_key.this.arn'),
        }),
      } as never) as never,
    }),
  ];
}

/** The task role ARN of a group's ECS service: its access principal's role, else the shared task role. */
function taskRoleOf(m: Model, g: string, principalRole: (principal: string) => unknown, taskRole: unknown): unknown {
  const p = m.groupPrincipal.get(g);
  return p === undefined ? taskRole : principalRole(p);
}

function terraform(m: Model): HclBlock[] {
  const workloadScope = m.scope === 'workload';
  const cluster = workloadScope
    ? { id: 'var.ecs_cluster_arn', name: 'var.ecs_cluster_name' }
    : { id: 'aws_ecs_cluster.this.id', name: 'aws_ecs_cluster.this.name' };
  const blocks: HclBlock[] = [
    block('terraform', [], {
      required_version: '>= 1.6.0',
      required_providers: nested({ aws: { source: 'hashicorp/aws', version: '>= 5.60.0' } } as never),
    }),
    block('provider', ['aws'], { region: expr('var.region'), default_tags: nested({ tags: expr('var.tags') }) }),
    variable('region', { type: expr('string'), default: m.region, description: 'AWS region (stream, tasks and their logs).' }),
    variable('tags', {
      type: expr('map(string)'),
      default: { workload: m.name, 'managed-by': 'speedlayer' },
      description: 'Tags on every resource (provider default_tags).',
    }),
    variable('vpc_id', { type: expr('string'), description: 'VPC the tasks run in.' }),
    variable('vpc_cidr', {
      type: expr('string'),
      default: m.vpcCidr,
      description: 'CIDR of the VPC (task egress to the VPC endpoints).',
    }),
    variable('private_subnet_ids', {
      type: expr('list(string)'),
      description: 'Private subnets (no route to an internet gateway).',
    }),
  ];
  if (workloadScope) {
    blocks.push(
      variable('ecs_cluster_arn', { type: expr('string'), description: 'ARN of the existing ECS cluster.' }),
      variable('ecs_cluster_name', { type: expr('string'), description: 'Name of the existing ECS cluster.' }),
    );
  } else {
    blocks.push(
      variable('private_route_table_ids', {
        type: expr('list(string)'),
        description: 'Route tables of the private subnets (gateway endpoints).',
      }),
    );
  }
  blocks.push(
    variable('image_digest', {
      type: expr('string'),
      description: `Digest (sha256:...) of the worker image pushed to the ${m.name} ECR repository (copy ${m.image} there: tasks in private subnets pull from ECR through the VPC endpoints, never from a public registry).`,
      validation: nested({
        condition: expr(`can(regex("${DIGEST_PATTERN}", var.image_digest))`),
        error_message: 'image_digest must be sha256: followed by 64 hex digits.',
      }),
    }),
    dataSource('aws_caller_identity', 'current', {}),
    dataSource('aws_partition', 'current', {}),
    ...awsKmsKey({ name: m.name, purpose: 'Kinesis, DynamoDB lease tables, images and logs', scopeLogsToWorkload: true }),
    resource('aws_kinesis_stream', 'this', {
      name: m.name,
      shard_count: m.onDemand ? undefined : m.shards,
      retention_period: m.retentionHours,
      encryption_type: 'KMS',
      kms_key_id: expr('aws_kms_key.this.arn'),
      shard_level_metrics: SHARD_METRICS,
      stream_mode_details: nested({ stream_mode: m.onDemand ? 'ON_DEMAND' : 'PROVISIONED' }),
    }),
    resource('aws_kinesis_stream', 'dead_letter', {
      name: m.dlq,
      shard_count: 1,
      retention_period: Math.max(168, m.retentionHours),
      encryption_type: 'KMS',
      kms_key_id: expr('aws_kms_key.this.arn'),
      stream_mode_details: nested({ stream_mode: 'PROVISIONED' }),
      tags: { purpose: `dead letters of ${m.name}` },
    }),
    resource('aws_ecr_repository', 'worker', {
      name: m.name,
      image_tag_mutability: 'IMMUTABLE',
      image_scanning_configuration: nested({ scan_on_push: true }),
      encryption_configuration: nested({ encryption_type: 'KMS', kms_key: expr('aws_kms_key.this.arn') }),
    }),
  );
  // One of each per consumer group, keyed by the group name.
  const groups = expr(`toset(${JSON.stringify(m.groups).replace(/,/g, ', ')})`);
  const group = expr('each.value');
  if (m.efo) {
    blocks.push(
      resource('aws_kinesis_stream_consumer', 'groups', {
        for_each: groups,
        name: group,
        stream_arn: expr('aws_kinesis_stream.this.arn'),
      }),
    );
  }
  blocks.push(
    resource('aws_dynamodb_table', 'lease', {
      for_each: groups,
      name: group,
      billing_mode: 'PAY_PER_REQUEST',
      hash_key: 'leaseKey',
      deletion_protection_enabled: true,
      attribute: nested({ name: 'leaseKey', type: 'S' }),
      server_side_encryption: nested({ enabled: true, kms_key_arn: expr('aws_kms_key.this.arn') }),
      point_in_time_recovery: nested({ enabled: true }),
      tags: { 'speedlayer-group': group, purpose: 'KCL lease table' },
    }),
  );
  blocks.push(
    resource('aws_cloudwatch_log_group', 'worker', {
      name: `/speedlayer/${m.name}`,
      retention_in_days: 365,
      kms_key_id: expr('aws_kms_key.this.arn'),
    }),
  );
  if (!workloadScope) {
    blocks.push(
      resource('aws_ecs_cluster', 'this', {
        name: m.name,
        setting: nested({ name: 'containerInsights', value: 'enabled' }),
      }),
    );
  }
  blocks.push(
    resource('aws_iam_role', 'execution', {
      name: `${m.name}-ecs-execution`,
      assume_role_policy: jsonencode({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }) as never,
    }),
    resource('aws_iam_role_policy_attachment', 'execution', {
      role: expr('aws_iam_role.execution.name'),
      policy_arn: tmpl(
        'arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy',
      ),
    }),
    // The shared task role, only for the groups no access principal names (scoped to them).
    ...(m.workerGroups ? terraformTaskRole(m, m.workerGroups) : []),
    // Access as code: one ECS task role per principal.
    ...awsPrincipalRoles({
      workload: m.name,
      topic: m.name,
      principals: m.principals,
      trust: () => [ecsTaskTrust(expr('data.aws_caller_identity.current.account_id')) as Record<string, HclValue>],
      statements: (p) =>
        principalKinesisStatements(m, p, {
          stream: expr('aws_kinesis_stream.this.arn'),
          dlq: expr('aws_kinesis_stream.dead_letter.arn'),
          key: expr('aws_kms_key.this.arn'),
          table: (g) => expr(`aws_dynamodb_table.lease["${g}"].arn`),
          consumer: (g) => expr(`aws_kinesis_stream_consumer.groups["${g}"].arn`),
        }),
    }),
    resource('aws_security_group', 'worker', {
      name: `${m.name}-worker`,
      description: 'speedlayer workers: no inbound, HTTPS to VPC endpoints only',
      vpc_id: expr('var.vpc_id'),
      egress: nested({
        description: 'HTTPS to the VPC endpoints (Kinesis, DynamoDB, logs, ECR, STS, KMS)',
        from_port: 443,
        to_port: 443,
        protocol: 'tcp',
        cidr_blocks: [expr('var.vpc_cidr')],
      }),
    }),
  );
  if (!workloadScope) {
    blocks.push(
      awsEndpointSecurityGroup(m.name, INTERFACE_ENDPOINTS.join(', ')),
      resource('aws_vpc_endpoint', 'interface', {
        for_each: expr(`toset(${JSON.stringify([...INTERFACE_ENDPOINTS]).replace(/,/g, ', ')})`),
        vpc_id: expr('var.vpc_id'),
        service_name: tmpl('com.amazonaws.${var.region}.${each.value}'),
        vpc_endpoint_type: 'Interface',
        private_dns_enabled: true,
        subnet_ids: expr('var.private_subnet_ids'),
        security_group_ids: [expr('aws_security_group.endpoints.id')],
      }),
      resource('aws_vpc_endpoint', 'gateway', {
        for_each: expr(`toset(${JSON.stringify([...GATEWAY_ENDPOINTS]).replace(/,/g, ', ')})`),
        vpc_id: expr('var.vpc_id'),
        service_name: tmpl('com.amazonaws.${var.region}.${each.value}'),
        vpc_endpoint_type: 'Gateway',
        route_table_ids: expr('var.private_route_table_ids'),
      }),
    );
  }
  blocks.push(
    resource('aws_ecs_task_definition', 'worker', {
      for_each: groups,
      family: group,
      requires_compatibilities: ['FARGATE'],
      network_mode: 'awsvpc',
      cpu: String(Math.round(m.cpu * 1024)),
      memory: String(m.memoryMiB),
      execution_role_arn: expr('aws_iam_role.execution.arn'),
      task_role_arn: expr(
        m.groupPrincipal.size === 0
          ? 'aws_iam_role.task.arn'
          : `{ ${m.groups.map((g) => `${JSON.stringify(g)} = ${taskRoleOf(m, g, (p) => `aws_iam_role.${principalResourceName(p)}.arn`, 'aws_iam_role.task.arn')}`).join(', ')} }[each.key]`,
      ),
      runtime_platform: nested({ operating_system_family: 'LINUX', cpu_architecture: 'X86_64' }),
      volume: nested({ name: 'tmp' }),
      container_definitions: jsonencode([
        containerDefinition(m, group, {
          image: tmpl('${aws_ecr_repository.worker.repository_url}@${var.image_digest}'),
          logGroup: expr('aws_cloudwatch_log_group.worker.name'),
          region: expr('var.region'),
          streamUri: tmpl('kinesis://${var.region}'),
        }),
      ] as never) as never,
    }),
    resource('aws_ecs_service', 'worker', {
      for_each: groups,
      name: group,
      cluster: expr(cluster.id),
      task_definition: expr('aws_ecs_task_definition.worker[each.key].arn'),
      desired_count: m.shards,
      launch_type: 'FARGATE',
      platform_version: 'LATEST',
      enable_execute_command: false,
      propagate_tags: 'SERVICE',
      network_configuration: nested({
        subnets: expr('var.private_subnet_ids'),
        security_groups: [expr('aws_security_group.worker.id')],
        assign_public_ip: false,
      }),
      deployment_circuit_breaker: nested({ enable: true, rollback: true }),
      lifecycle: nested({ ignore_changes: [expr('desired_count')] }),
      tags: { 'speedlayer-group': group, 'replica-rule': 'desired count = shards' },
    }),
    resource('aws_appautoscaling_target', 'worker', {
      for_each: groups,
      service_namespace: 'ecs',
      scalable_dimension: 'ecs:service:DesiredCount',
      resource_id: tmpl(`service/\${${cluster.name}}/\${aws_ecs_service.worker[each.key].name}`),
      min_capacity: m.min,
      max_capacity: m.max,
    }),
    resource('aws_appautoscaling_policy', 'worker', {
      for_each: groups,
      name: tmpl('${each.value}-cpu'),
      policy_type: 'TargetTrackingScaling',
      service_namespace: expr('aws_appautoscaling_target.worker[each.key].service_namespace'),
      scalable_dimension: expr('aws_appautoscaling_target.worker[each.key].scalable_dimension'),
      resource_id: expr('aws_appautoscaling_target.worker[each.key].resource_id'),
      target_tracking_scaling_policy_configuration: nested({
        target_value: 70,
        scale_in_cooldown: 300,
        scale_out_cooldown: 60,
        predefined_metric_specification: nested({ predefined_metric_type: 'ECSServiceAverageCPUUtilization' }),
      }),
    }),
  );
  blocks.push(
    output('stream_arn', { value: expr('aws_kinesis_stream.this.arn') }),
    output('dead_letter_stream_arn', { value: expr('aws_kinesis_stream.dead_letter.arn') }),
    output('stream_uri', { value: tmpl('kinesis://${var.region}') }),
    output('image_repository_url', {
      value: expr('aws_ecr_repository.worker.repository_url'),
      description: 'Push the worker image here; give its digest as image_digest.',
    }),
    output('kms_key_arn', { value: expr('aws_kms_key.this.arn') }),
    ...(m.workerGroups
      ? [output('task_role_arn', { value: expr('aws_iam_role.task.arn'), description: 'TASK_ROLE_ARN of ecs/*.json.' })]
      : []),
    output('execution_role_arn', {
      value: expr('aws_iam_role.execution.arn'),
      description: 'EXECUTION_ROLE_ARN of ecs/*.json.',
    }),
    output('worker_security_group_id', {
      value: expr('aws_security_group.worker.id'),
      description: 'WORKER_SECURITY_GROUP_ID of ecs/*.json.',
    }),
  );
  return blocks;
}

// ---------------------------------------------------------------- CloudFormation

/** The shared `<name>-worker` task role (CloudFormation) of the groups no access principal names, scoped to them. */
function cfnTaskRole(m: Model, groups: readonly string[], tags: readonly { Key: string; Value: string }[]): CfnResource {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: `speedlayer worker for stream ${m.name}: read the stream and its lease tables, publish to and read ${m.dlq}`,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [ecsTaskTrust(ref('AWS::AccountId'))],
      },
      Policies: [
        {
          PolicyName: 'stream-least-privilege',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: taskStatements(m, {
              stream: getAtt('Stream', 'Arn'),
              dlq: getAtt('DeadLetterStream', 'Arn'),
              consumers: groups.map((g) => ref(`Consumer${pascal(g)}`)),
              tables: groups.map((g) => getAtt(`Lease${pascal(g)}`, 'Arn')),
              key: getAtt('Key', 'Arn'),
            }),
          },
        },
      ],
      Tags: tags,
    },
  };
}

function cloudformation(m: Model, header: string[]): string {
  const tags = [
    { Key: 'workload', Value: m.name },
    { Key: 'managed-by', Value: 'speedlayer' },
  ];
  const R: Record<string, CfnResource> = {};
  R.Key = {
    Type: 'AWS::KMS::Key',
    DeletionPolicy: 'Retain',
    UpdateReplacePolicy: 'Retain',
    Properties: {
      Description: `speedlayer ${m.name}: Kinesis, DynamoDB lease tables and logs`,
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
            Condition: {
              ArnLike: {
                'kms:EncryptionContext:aws:logs:arn': sub(
                  `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/speedlayer/${m.name}`,
                ),
              },
            },
          },
        ],
      },
      Tags: tags,
    },
  };
  R.KeyAlias = { Type: 'AWS::KMS::Alias', Properties: { AliasName: `alias/speedlayer-${m.name}`, TargetKeyId: ref('Key') } };
  R.Stream = {
    Type: 'AWS::Kinesis::Stream',
    Properties: {
      Name: m.name,
      ...(m.onDemand ? {} : { ShardCount: m.shards }),
      RetentionPeriodHours: m.retentionHours,
      StreamModeDetails: { StreamMode: m.onDemand ? 'ON_DEMAND' : 'PROVISIONED' },
      StreamEncryption: { EncryptionType: 'KMS', KeyId: getAtt('Key', 'Arn') },
      Tags: tags,
    },
  };
  R.DeadLetterStream = {
    Type: 'AWS::Kinesis::Stream',
    Properties: {
      Name: m.dlq,
      ShardCount: 1,
      RetentionPeriodHours: Math.max(168, m.retentionHours),
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      StreamEncryption: { EncryptionType: 'KMS', KeyId: getAtt('Key', 'Arn') },
      Tags: [...tags, { Key: 'purpose', Value: `dead letters of ${m.name}` }],
    },
  };
  R.ImageRepository = {
    Type: 'AWS::ECR::Repository',
    Properties: {
      RepositoryName: m.name,
      ImageTagMutability: 'IMMUTABLE',
      ImageScanningConfiguration: { ScanOnPush: true },
      EncryptionConfiguration: { EncryptionType: 'KMS', KmsKey: getAtt('Key', 'Arn') },
      Tags: tags,
    },
  };
  for (const g of m.groups) {
    const p = pascal(g);
    if (m.efo) {
      R[`Consumer${p}`] = {
        Type: 'AWS::Kinesis::StreamConsumer',
        Properties: { ConsumerName: g, StreamARN: getAtt('Stream', 'Arn') },
      };
    }
    R[`Lease${p}`] = {
      Type: 'AWS::DynamoDB::Table',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        TableName: g,
        BillingMode: 'PAY_PER_REQUEST',
        DeletionProtectionEnabled: true,
        AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: getAtt('Key', 'Arn') },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        Tags: [...tags, { Key: 'speedlayer-group', Value: g }, { Key: 'purpose', Value: 'KCL lease table' }],
      },
    };
  }
  R.LogGroup = {
    Type: 'AWS::Logs::LogGroup',
    DeletionPolicy: 'Retain',
    UpdateReplacePolicy: 'Retain',
    Properties: { LogGroupName: `/speedlayer/${m.name}`, RetentionInDays: 365, KmsKeyId: getAtt('Key', 'Arn') },
  };
  R.Cluster = {
    Type: 'AWS::ECS::Cluster',
    Properties: { ClusterName: m.name, ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }], Tags: tags },
  };
  R.ExecutionRole = {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      ManagedPolicyArns: [sub('arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy')],
      Tags: tags,
    },
  };
  if (m.workerGroups) R.TaskRole = cfnTaskRole(m, m.workerGroups, tags);
  R.WorkerSecurityGroup = {
    Type: 'AWS::EC2::SecurityGroup',
    Properties: {
      GroupDescription: 'speedlayer workers: no inbound, HTTPS to VPC endpoints only',
      VpcId: ref('VpcId'),
      SecurityGroupEgress: [
        { Description: 'HTTPS to the VPC endpoints', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: ref('VpcCidr') },
      ],
      Tags: tags,
    },
  };
  R.EndpointSecurityGroup = awsEndpointSecurityGroupCfn(INTERFACE_ENDPOINTS.join(', '), tags);
  for (const svc of INTERFACE_ENDPOINTS) {
    R[`Endpoint${pascal(svc)}`] = {
      Type: 'AWS::EC2::VPCEndpoint',
      Properties: {
        VpcId: ref('VpcId'),
        ServiceName: sub(`com.amazonaws.\${AWS::Region}.${svc}`),
        VpcEndpointType: 'Interface',
        PrivateDnsEnabled: true,
        SubnetIds: ref('PrivateSubnetIds'),
        SecurityGroupIds: [ref('EndpointSecurityGroup')],
      },
    };
  }
  for (const svc of GATEWAY_ENDPOINTS) {
    R[`Endpoint${pascal(svc)}`] = {
      Type: 'AWS::EC2::VPCEndpoint',
      Properties: {
        VpcId: ref('VpcId'),
        ServiceName: sub(`com.amazonaws.\${AWS::Region}.${svc}`),
        VpcEndpointType: 'Gateway',
        RouteTableIds: ref('PrivateRouteTableIds'),
      },
    };
  }
  for (const g of m.groups) {
    const p = pascal(g);
    R[`TaskDefinition${p}`] = {
      Type: 'AWS::ECS::TaskDefinition',
      Properties: {
        Family: g,
        RequiresCompatibilities: ['FARGATE'],
        NetworkMode: 'awsvpc',
        Cpu: String(Math.round(m.cpu * 1024)),
        Memory: String(m.memoryMiB),
        ExecutionRoleArn: getAtt('ExecutionRole', 'Arn'),
        TaskRoleArn: getAtt(taskRoleOf(m, g, principalLogicalId, 'TaskRole') as string, 'Arn'),
        RuntimePlatform: { OperatingSystemFamily: 'LINUX', CpuArchitecture: 'X86_64' },
        Volumes: [{ Name: 'tmp' }],
        ContainerDefinitions: [
          pascalKeys(
            containerDefinition(m, g, {
              image: sub('${ImageRepository.RepositoryUri}@${ImageDigest}'),
              logGroup: ref('LogGroup'),
              region: ref('AWS::Region'),
              streamUri: sub('kinesis://${AWS::Region}'),
            }),
          ),
        ],
        Tags: tags,
      },
    };
    R[`Service${p}`] = {
      Type: 'AWS::ECS::Service',
      Properties: {
        ServiceName: g,
        Cluster: ref('Cluster'),
        TaskDefinition: ref(`TaskDefinition${p}`),
        DesiredCount: m.shards,
        LaunchType: 'FARGATE',
        PlatformVersion: 'LATEST',
        EnableExecuteCommand: false,
        PropagateTags: 'SERVICE',
        NetworkConfiguration: {
          AwsvpcConfiguration: {
            AssignPublicIp: 'DISABLED',
            Subnets: ref('PrivateSubnetIds'),
            SecurityGroups: [ref('WorkerSecurityGroup')],
          },
        },
        DeploymentConfiguration: { DeploymentCircuitBreaker: { Enable: true, Rollback: true } },
        Tags: [...tags, { Key: 'speedlayer-group', Value: g }, { Key: 'replica-rule', Value: 'desired count = shards' }],
      },
    };
    R[`ScalableTarget${p}`] = {
      Type: 'AWS::ApplicationAutoScaling::ScalableTarget',
      Properties: {
        ServiceNamespace: 'ecs',
        ScalableDimension: 'ecs:service:DesiredCount',
        ResourceId: sub(`service/\${Cluster}/\${Service${p}.Name}`),
        MinCapacity: m.min,
        MaxCapacity: m.max,
      },
    };
    R[`ScalingPolicy${p}`] = {
      Type: 'AWS::ApplicationAutoScaling::ScalingPolicy',
      Properties: {
        PolicyName: `${g}-cpu`,
        PolicyType: 'TargetTrackingScaling',
        ScalingTargetId: ref(`ScalableTarget${p}`),
        TargetTrackingScalingPolicyConfiguration: {
          TargetValue: 70,
          ScaleInCooldown: 300,
          ScaleOutCooldown: 60,
          PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        },
      },
    };
  }
  // Access as code: one ECS task role per principal.
  const principals = awsPrincipalRolesCfn({
    workload: m.name,
    topic: m.name,
    principals: m.principals,
    trust: () => ({
      Version: '2012-10-17',
      Statement: [ecsTaskTrust(ref('AWS::AccountId'))],
    }),
    statements: (p) =>
      principalKinesisStatements(m, p, {
        stream: getAtt('Stream', 'Arn'),
        dlq: getAtt('DeadLetterStream', 'Arn'),
        key: getAtt('Key', 'Arn'),
        table: (g) => getAtt(`Lease${pascal(g)}`, 'Arn'),
        consumer: (g) => ref(`Consumer${pascal(g)}`),
      }),
    tags,
  });
  Object.assign(R, principals.resources);
  const t: CfnTemplate = {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `speedlayer ${m.name} on Kinesis + ECS Fargate: ${m.onDemand ? 'on-demand' : `${m.shards} shards`}, ${m.groups.length} consumer group(s), replicas ${m.min}-${m.max} per group`,
    Parameters: {
      VpcId: { Type: 'AWS::EC2::VPC::Id', Description: 'VPC the tasks and VPC endpoints run in.' },
      VpcCidr: {
        Type: 'String',
        Default: m.vpcCidr,
        Description: 'CIDR of the VPC.',
        AllowedPattern: '^\\d+\\.\\d+\\.\\d+\\.\\d+/\\d+$',
      },
      PrivateSubnetIds: { Type: 'List<AWS::EC2::Subnet::Id>', Description: 'Private subnets (no route to an internet gateway).' },
      PrivateRouteTableIds: {
        Type: 'CommaDelimitedList',
        Description: 'Route tables of the private subnets (gateway endpoints).',
      },
      ImageDigest: {
        Type: 'String',
        AllowedPattern: DIGEST_PATTERN,
        Description: `Digest (sha256:...) of the worker image pushed to the ${m.name} ECR repository (copy ${m.image} there: tasks in private subnets pull from ECR through the VPC endpoints).`,
      },
    },
    Resources: R,
    Outputs: {
      StreamArn: { Value: getAtt('Stream', 'Arn') },
      DeadLetterStreamArn: { Value: getAtt('DeadLetterStream', 'Arn') },
      ImageRepositoryUri: { Value: getAtt('ImageRepository', 'RepositoryUri') },
      KeyArn: { Value: getAtt('Key', 'Arn') },
      ...(m.workerGroups ? { TaskRoleArn: { Value: getAtt('TaskRole', 'Arn') } } : {}),
      ...principals.outputs,
    },
  };
  return writeCfnYaml(t, header);
}

/** Container definition keys in CloudFormation's PascalCase (nested option maps keep their keys). */
function pascalKeys(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fix = (k: string) => (k === 'readonlyRootFilesystem' ? 'ReadonlyRootFilesystem' : k[0]!.toUpperCase() + k.slice(1));
  for (const [k, v] of Object.entries(o)) {
    if (k === 'logConfiguration') {
      const lc = v as { logDriver: string; options: Record<string, unknown> };
      out.LogConfiguration = { LogDriver: lc.logDriver, Options: lc.options };
    } else if (k === 'environment') {
      out.Environment = (v as { name: string; value: string }[]).map((e) => ({ Name: e.name, Value: e.value }));
    } else if (k === 'linuxParameters') {
      out.LinuxParameters = { InitProcessEnabled: true, Capabilities: { Drop: ['ALL'] } };
    } else if (k === 'mountPoints') {
      out.MountPoints = (v as { sourceVolume: string; containerPath: string; readOnly: boolean }[]).map((x) => ({
        SourceVolume: x.sourceVolume,
        ContainerPath: x.containerPath,
        ReadOnly: x.readOnly,
      }));
    } else out[fix(k)] = v;
  }
  return out;
}

// ---------------------------------------------------------------- ECS API inputs

/**
 * Per group, the `RegisterTaskDefinition` and `CreateService` inputs (`aws ecs ... --cli-input-json`) with `${VAR}`
 * placeholders for what the stack creates: `deploy <workload> --target aws-kinesis-ecs` fills and registers them.
 * `${PRIVATE_SUBNET_IDS}` stands for a comma-separated list. Desired count = shards.
 */
function ecsInputs(m: Model): EmittedFile[] {
  const tags = [
    { key: 'workload', value: m.name },
    { key: 'managed-by', value: 'speedlayer' },
  ];
  return m.groups.flatMap((g) => [
    {
      path: `ecs/${g}.task-definition.json`,
      kind: 'ecs' as const,
      content: `${JSON.stringify(
        {
          family: g,
          requiresCompatibilities: ['FARGATE'],
          networkMode: 'awsvpc',
          cpu: String(Math.round(m.cpu * 1024)),
          memory: String(m.memoryMiB),
          executionRoleArn: '${EXECUTION_ROLE_ARN}',
          taskRoleArn: taskRoleOf(m, g, (p) => principalPlaceholder(p, 'ROLE_ARN'), '${TASK_ROLE_ARN}'),
          runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
          volumes: [{ name: 'tmp' }],
          containerDefinitions: [
            containerDefinition(m, g, {
              image: '${IMAGE_REPOSITORY_URL}@${WORKER_IMAGE_DIGEST}',
              logGroup: `/speedlayer/${m.name}`,
              region: '${AWS_REGION}',
              streamUri: 'kinesis://${AWS_REGION}',
            }),
          ],
          tags: [...tags, { key: 'speedlayer-group', value: g }],
        },
        null,
        2,
      )}\n`,
    },
    {
      path: `ecs/${g}.service.json`,
      kind: 'ecs' as const,
      content: `${JSON.stringify(
        {
          serviceName: g,
          cluster: '${ECS_CLUSTER}',
          taskDefinition: g,
          desiredCount: m.shards,
          launchType: 'FARGATE',
          platformVersion: 'LATEST',
          enableExecuteCommand: false,
          propagateTags: 'SERVICE',
          networkConfiguration: {
            awsvpcConfiguration: {
              subnets: ['${PRIVATE_SUBNET_IDS}'],
              securityGroups: ['${WORKER_SECURITY_GROUP_ID}'],
              assignPublicIp: 'DISABLED',
            },
          },
          deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
          tags: [...tags, { key: 'speedlayer-group', value: g }, { key: 'replica-rule', value: 'desired count = shards' }],
        },
        null,
        2,
      )}\n`,
    },
  ]);
}

/**
 * Emits IaC for a feasible plan: Terraform (versions/variables/outputs/resources by concern), in `full` scope
 * CloudFormation, and the ECS API inputs `deploy` registers. `workload` scope leaves out the ECS cluster and the VPC
 * endpoints (an existing cluster's).
 */
export function emitKinesisEcs(plan: TargetPlan, input: PlanInput, context: EmitContext): EmittedFile[] {
  const m = model(plan, input, context.scope ?? 'full');
  const header = fileHeader({ generator: context.generator, workload: m.name, target: plan.target });
  const files: EmittedFile[] = [
    ...terraformFiles(terraform(m), header).map((f) => ({ ...f, kind: 'terraform' as const })),
    ...(m.scope === 'full'
      ? [{ path: 'cloudformation/stack.yaml', content: cloudformation(m, header), kind: 'cloudformation' as const }]
      : []),
    ...ecsInputs(m),
  ];
  for (const f of files) assertNoSecretValues(f.path, f.content);
  return files;
}
