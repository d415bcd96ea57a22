// biome-ignore-all lint/suspicious/noTemplateCurlyInString: this file writes IaC text whose ${...} are HCL, CloudFormation or envsubst placeholders, not JS templates
import { fileURLToPath } from 'node:url';
import { parseCfnYaml } from '@speedlayer/iac';
import { checkGolden, parseTerraformFiles, platformResourcesIn } from '@speedlayer/iac/validate';
import { planOnTarget } from '@speedlayer/planner';
import { GOLDEN_EMIT_CONTEXT, PLANNER_WORKLOADS } from '@speedlayer/testing';
import { describe, expect, it } from 'vitest';
import { kinesisEcsTarget } from '../src/plan/index.js';

const workloads = PLANNER_WORKLOADS;
const emit = (w: object) => planOnTarget(kinesisEcsTarget, w, { context: GOLDEN_EMIT_CONTEXT });

// biome-ignore lint/suspicious/noExplicitAny: parsed HCL/YAML is navigated freely in assertions
type Tf = { resource: Record<string, Record<string, Record<string, any>[]>> };

describe('aws-kinesis-ecs/emit', () => {
  const { files } = emit(workloads.clickstream);
  const file = (p: string) => files.find((f) => f.path === p)!.content;

  it('emits Terraform whose stream is KMS-encrypted with the sized shards and retention', async () => {
    const tf = (await parseTerraformFiles(files)) as Tf;
    const stream = tf.resource.aws_kinesis_stream!.this![0]!;
    expect(stream).toMatchObject({
      encryption_type: 'KMS',
      kms_key_id: '${aws_kms_key.this.arn}',
      shard_count: 80,
      retention_period: 168,
    });
    expect(tf.resource.aws_kms_key!.this![0]!.enable_key_rotation).toBe(true);
    const lease = tf.resource.aws_dynamodb_table!.lease![0]!;
    expect(lease).toMatchObject({
      for_each: '${toset(["clickstream-g1", "clickstream-g2"])}',
      hash_key: 'leaseKey',
      billing_mode: 'PAY_PER_REQUEST',
      name: '${each.value}',
    });
    expect(lease.server_side_encryption).toEqual([{ enabled: true, kms_key_arn: '${aws_kms_key.this.arn}' }]);
    expect(lease.point_in_time_recovery).toEqual([{ enabled: true }]);
    const svc = tf.resource.aws_ecs_service!.worker![0]!;
    expect(svc.desired_count).toBe(80);
    expect((svc.network_configuration as { assign_public_ip: boolean }[])[0]!.assign_public_ip).toBe(false);
    expect(tf.resource.aws_appautoscaling_target!.worker![0]).toMatchObject({ min_capacity: 40, max_capacity: 80 });
  });

  it('scopes the task role to the one stream and its lease tables', async () => {
    const tf = (await parseTerraformFiles(files)) as Tf;
    const policy = String(tf.resource.aws_iam_role_policy!.task![0]!.policy);
    expect(policy).toContain('aws_kinesis_stream.this.arn');
    expect(policy).toMatch(/Resource\s*=\s*\[for t in aws_dynamodb_table\.lease : t\.arn\]/);
    expect(policy).not.toMatch(/"kinesis:\*"|"dynamodb:\*"/);
    // Writes only to the dead-letter stream <stream>.dlq, which is provisioned beside the stream.
    const deadLetters = /Sid\s*=\s*"DeadLetters"[\s\S]*?Resource\s*=\s*\[([^\]]*)\]/.exec(policy)!;
    expect(deadLetters[0]).toContain('kinesis:PutRecords');
    expect(deadLetters[1]!.trim()).toBe('aws_kinesis_stream.dead_letter.arn');
    expect(policy.match(/kinesis:PutRecords/g)).toHaveLength(1);
    expect(tf.resource.aws_kinesis_stream!.dead_letter![0]).toMatchObject({ name: 'clickstream.dlq', encryption_type: 'KMS' });
  });

  it('runs tasks from a digest-pinned ECR image (reachable through the VPC endpoints) and logs to var.region', async () => {
    const tf = (await parseTerraformFiles(files)) as Tf;
    const defs = String(tf.resource.aws_ecs_task_definition!.worker![0]!.container_definitions);
    expect(defs).toMatch(/image\s*=\s*"\$\{aws_ecr_repository\.worker\.repository_url\}@\$\{var\.image_digest\}"/);
    expect(defs).toMatch(/awslogs-region"?\s*=\s*var\.region/);
    expect(defs).not.toContain('ghcr.io');
    expect(tf.resource.aws_ecr_repository!.worker![0]).toMatchObject({ image_tag_mutability: 'IMMUTABLE' });
    const endpoints = String(tf.resource.aws_vpc_endpoint!.interface![0]!.for_each);
    for (const svc of ['ecr.api', 'ecr.dkr']) expect(endpoints).toContain(svc);
    const cfn = parseCfnYaml(file('cloudformation/stack.yaml'));
    // biome-ignore lint/suspicious/noExplicitAny: parsed YAML is navigated freely in assertions
    const c = (cfn.Resources.TaskDefinitionClickstreamG1!.Properties! as { ContainerDefinitions: Record<string, any>[] })
      .ContainerDefinitions[0]!;
    expect(c.Image).toEqual({ 'Fn::Sub': '${ImageRepository.RepositoryUri}@${ImageDigest}' });
    expect(c.LogConfiguration.Options['awslogs-region']).toEqual({ Ref: 'AWS::Region' });
  });

  it('emits per group the ECS task definition and service inputs deploy registers: desiredCount = shards', () => {
    const svc = JSON.parse(file('ecs/clickstream-g2.service.json'));
    expect(svc).toMatchObject({ serviceName: 'clickstream-g2', taskDefinition: 'clickstream-g2', desiredCount: 80 });
    expect(svc.networkConfiguration.awsvpcConfiguration).toEqual({
      subnets: ['${PRIVATE_SUBNET_IDS}'],
      securityGroups: ['${WORKER_SECURITY_GROUP_ID}'],
      assignPublicIp: 'DISABLED',
    });
    const td = JSON.parse(file('ecs/clickstream-g2.task-definition.json'));
    expect(td.containerDefinitions[0].image).toBe('${IMAGE_REPOSITORY_URL}@${WORKER_IMAGE_DIGEST}');
    expect(td.containerDefinitions[0].logConfiguration.options['awslogs-region']).toBe('${AWS_REGION}');
  });

  it('--scope workload: no ECS cluster or VPC endpoints, services on the existing cluster', async () => {
    const w = planOnTarget(kinesisEcsTarget, workloads.clickstream, {
      context: { generator: 'speedlayer', scope: 'workload' },
    }).files;
    expect(await platformResourcesIn(w)).toEqual([]);
    expect((await platformResourcesIn(files)).length).toBeGreaterThan(2);
    const tf = (await parseTerraformFiles(w)) as Tf;
    expect(tf.resource.aws_ecs_service!.worker![0]).toMatchObject({
      cluster: '${var.ecs_cluster_arn}',
      desired_count: 80,
    });
    expect(tf.resource.aws_kinesis_stream!.dead_letter![0]!.name).toBe('clickstream.dlq');
  });

  it('emits CloudFormation with the same security settings', () => {
    const t = parseCfnYaml(file('cloudformation/stack.yaml'));
    const stream = t.Resources.Stream!.Properties!;
    expect(stream.ShardCount).toBe(80);
    expect(stream.StreamEncryption).toEqual({ EncryptionType: 'KMS', KeyId: { 'Fn::GetAtt': ['Key', 'Arn'] } });
    const td = t.Resources.TaskDefinitionClickstreamG1!.Properties! as { ContainerDefinitions: Record<string, unknown>[] };
    expect(td.ContainerDefinitions[0]).toMatchObject({ ReadonlyRootFilesystem: true, Privileged: false, User: '10001:10001' });
    expect(t.Resources.ScalableTargetClickstreamG1!.Properties).toMatchObject({ MinCapacity: 40, MaxCapacity: 80 });
    expect(t.Resources.ServiceClickstreamG1!.Properties).toMatchObject({
      DesiredCount: 80,
      NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'DISABLED' } },
    });
  });

  it.each(Object.entries(workloads))('matches the golden files for %s', async (name, w) => {
    const dir = fileURLToPath(new URL(`./golden/${name}`, import.meta.url));
    expect(await checkGolden(dir, emit(w).files, process.env.UPDATE_GOLDEN === '1')).toEqual([]);
  });
});
