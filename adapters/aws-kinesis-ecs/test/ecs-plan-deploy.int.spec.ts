// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here are ECS definition placeholders, not JS templates
/**
 * The Kinesis + ECS plan's task definitions and services registered on moto: desired count = shards, the image pinned
 * by digest from the stack's ECR repository, logs in the planned region; a second deploy updates instead of creating.
 */
import './env.js';
import { CreateClusterCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { planOnTarget } from '@speedlayer/planner';
import { PLANNER_WORKLOADS, uniqueName } from '@speedlayer/testing';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { expect, it } from 'vitest';
import { deployEcsPlan, ecsPlanInputs } from '../src/compute/plan-deploy.js';
import { kinesisEcsTarget } from '../src/plan/index.js';

/** IDs from moto's default VPC through the EC2 Query API (no EC2 SDK in the repo); moto checks that subnets exist. */
async function ec2Ids(endpoint: string, region: string, action: string, tag: string): Promise<string[]> {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/${region}/ec2/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: `Action=${action}&Version=2016-11-15`,
  });
  return [...(await res.text()).matchAll(new RegExp(`<${tag}>([^<]+)</${tag}>`, 'g'))].map((m) => m[1]!);
}

describePeer('moto', 'aws-kinesis-ecs: deploy the plan on ECS (moto)', (moto) => {
  const digest = `sha256:${'c'.repeat(64)}`;
  const values = (cluster: string, subnets: string[], sg: string) => ({
    ECS_CLUSTER: cluster,
    EXECUTION_ROLE_ARN: 'arn:aws:iam::123456789012:role/clickstream-ecs-execution',
    TASK_ROLE_ARN: 'arn:aws:iam::123456789012:role/clickstream-worker',
    IMAGE_REPOSITORY_URL: '123456789012.dkr.ecr.us-east-1.amazonaws.com/clickstream',
    WORKER_IMAGE_DIGEST: digest,
    AWS_REGION: moto.region,
    PRIVATE_SUBNET_IDS: subnets.join(','),
    WORKER_SECURITY_GROUP_ID: sg,
  });

  it('registers every group task definition and creates its service with desiredCount = shards', async () => {
    const { plan, files } = planOnTarget(kinesisEcsTarget, PLANNER_WORKLOADS.clickstream, {
      context: { generator: 'speedlayer' },
    });
    const shards = Number(plan.capacity.shards);
    expect(shards).toBe(plan.partitions);
    const ecs = new ECSClient({ region: moto.region, endpoint: moto.endpoint });
    const cluster = uniqueName('plan-deploy');
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    const subnets = (await ec2Ids(moto.endpoint, moto.region, 'DescribeSubnets', 'subnetId')).slice(0, 2);
    const [sg] = await ec2Ids(moto.endpoint, moto.region, 'DescribeSecurityGroups', 'groupId');
    expect(subnets).toHaveLength(2);
    const v = values(cluster, subnets, sg!);
    const first = await deployEcsPlan(ecs, files, v);
    expect(first.map((d) => [d.service, d.desiredCount, d.created])).toEqual([
      ['clickstream-g1', shards, true],
      ['clickstream-g2', shards, true],
    ]);
    const services = await ecs.send(new DescribeServicesCommand({ cluster, services: ['clickstream-g1', 'clickstream-g2'] }));
    for (const s of services.services ?? []) {
      expect(s.desiredCount).toBe(shards);
      expect(s.launchType).toBe('FARGATE');
      expect(s.networkConfiguration?.awsvpcConfiguration?.subnets).toEqual(subnets);
    }
    const td = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: first[0]!.taskDefinitionArn }));
    const c = td.taskDefinition?.containerDefinitions?.[0];
    expect(c?.image).toBe(`123456789012.dkr.ecr.us-east-1.amazonaws.com/clickstream@${digest}`);
    expect(c?.logConfiguration?.options?.['awslogs-region']).toBe(moto.region);
    expect(c?.command).toEqual(expect.arrayContaining(['--topic', 'clickstream', '--group', 'clickstream-g1']));

    const again = await deployEcsPlan(ecs, files, v);
    expect(again.map((d) => d.created)).toEqual([false, false]);
    expect(again[0]!.taskDefinitionArn).not.toBe(first[0]!.taskDefinitionArn);
    ecs.destroy();
  });

  it('names every placeholder it has no value for', () => {
    const { files } = planOnTarget(kinesisEcsTarget, PLANNER_WORKLOADS.small, { context: { generator: 'speedlayer' } });
    expect(() => ecsPlanInputs(files, { ECS_CLUSTER: 'c' })).toThrow(
      /need values for .*\$\{EXECUTION_ROLE_ARN\}.*\$\{WORKER_IMAGE_DIGEST\}.*give --set AWS_REGION=/,
    );
  });
});
