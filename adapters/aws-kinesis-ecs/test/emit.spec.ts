// biome-ignore-all lint/suspicious/noTemplateCurlyInString: this file writes IaC text whose ${...} are HCL, CloudFormation or envsubst placeholders, not JS templates
import { fileURLToPath } from 'node:url';
import { parseCfnYaml } from '@speedlayer/iac';
import { checkGolden, parseHcl } from '@speedlayer/iac/validate';
import { planOnTarget } from '@speedlayer/planner';
import { GOLDEN_EMIT_CONTEXT, PLANNER_WORKLOADS } from '@speedlayer/testing';
import { describe, expect, it } from 'vitest';
import { kinesisEcsTarget } from '../src/plan/index.js';

const workloads = PLANNER_WORKLOADS;
const emit = (w: object) => planOnTarget(kinesisEcsTarget, w, { context: GOLDEN_EMIT_CONTEXT });

type Tf = { resource: Record<string, Record<string, Record<string, unknown>[]>> };

describe('aws-kinesis-ecs/emit', () => {
  const { files } = emit(workloads.clickstream);
  const file = (p: string) => files.find((f) => f.path === p)!.content;

  it('emits Terraform whose stream is KMS-encrypted with the sized shards and retention', async () => {
    const tf = (await parseHcl('main.tf', file('terraform/main.tf'))) as Tf;
    const stream = tf.resource.aws_kinesis_stream!.this![0]!;
    expect(stream).toMatchObject({
      encryption_type: 'KMS',
      kms_key_id: '${aws_kms_key.this.arn}',
      shard_count: 80,
      retention_period: 168,
    });
    expect(tf.resource.aws_kms_key!.this![0]!.enable_key_rotation).toBe(true);
    const lease = tf.resource.aws_dynamodb_table!.lease_clickstream_g1![0]!;
    expect(lease).toMatchObject({ hash_key: 'leaseKey', billing_mode: 'PAY_PER_REQUEST', name: 'clickstream-g1' });
    expect(lease.server_side_encryption).toEqual([{ enabled: true, kms_key_arn: '${aws_kms_key.this.arn}' }]);
    expect(lease.point_in_time_recovery).toEqual([{ enabled: true }]);
    const svc = tf.resource.aws_ecs_service!.clickstream_g1![0]!;
    expect(svc.desired_count).toBe(80);
    expect((svc.network_configuration as { assign_public_ip: boolean }[])[0]!.assign_public_ip).toBe(false);
    expect(tf.resource.aws_appautoscaling_target!.clickstream_g1![0]).toMatchObject({ min_capacity: 40, max_capacity: 80 });
  });

  it('scopes the task role to the one stream and its lease tables', async () => {
    const tf = (await parseHcl('main.tf', file('terraform/main.tf'))) as Tf;
    const policy = String(tf.resource.aws_iam_role_policy!.task![0]!.policy);
    expect(policy).toContain('aws_kinesis_stream.this.arn');
    expect(policy).toContain('aws_dynamodb_table.lease_clickstream_g1.arn');
    expect(policy).not.toMatch(/"kinesis:\*"|"dynamodb:\*"/);
    expect(policy).not.toContain('kinesis:PutRecord');
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
