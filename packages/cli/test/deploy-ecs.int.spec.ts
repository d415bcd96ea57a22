// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} are ECS definition placeholders, not JS templates
/**
 * `speedlayer deploy <workload> --target aws-kinesis-ecs` as a user runs it, against moto: the planned task
 * definitions and services are registered with desired count = the stream's shard count (or the plan's shards
 * without `--stream`), a missing placeholder is a usage error naming it, and a second deploy updates the services.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { uniqueName } from '@speedlayer/testing';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/speedlayer.js', import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), 'speedlayer-deploy-ecs-'));

describePeer('moto', 'cli: deploy <workload> --target aws-kinesis-ecs (moto)', (moto) => {
  const env = { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: moto.region };
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args], { cwd, env, encoding: 'utf8', timeout: 120_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  /** The first `<tag>` values of an EC2 Query API answer from moto's default VPC (moto checks that subnets exist). */
  const ec2 = async (action: string, tag: string) => {
    const body = await fetch(moto.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/${moto.region}/ec2/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: `Action=${action}&Version=2016-11-15`,
    }).then((r) => r.text());
    return Array.from(body.matchAll(new RegExp(`<${tag}>([^<]+)</${tag}>`, 'g')), (m) => m[1]!);
  };
  const digest = `sha256:${'d'.repeat(64)}`;

  it('registers one task definition and one service per group with desiredCount = shards, then updates them', async () => {
    const name = uniqueName('ecsdeploy')
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')
      .slice(0, 30);
    const workload = join(cwd, `${name}.yaml`);
    writeFileSync(
      workload,
      [
        `name: ${name}`,
        'ingress: { recordsPerSecond: 200, avgRecordBytes: 512 }',
        'consumerGroups: 2',
        'processing: { msPerRecord: 5 }',
        'retentionHours: 24',
        '',
      ].join('\n'),
    );
    const stream = `kinesis://${moto.region}?endpoint=${moto.endpoint}`;
    expect(run(['topic', 'create', name, '--partitions', '3', '--stream', stream]).code).toBe(0);
    const subnets = (await ec2('DescribeSubnets', 'subnetId')).slice(0, 2);
    const [sg] = await ec2('DescribeSecurityGroups', 'groupId');
    expect(subnets).toHaveLength(2);
    const cluster = uniqueName('ecs-deploy');
    const args = [
      'deploy',
      workload,
      '--target',
      'aws-kinesis-ecs',
      '--compute',
      `ecs://${moto.region}/${cluster}?endpoint=${moto.endpoint}`,
      '--set',
      'EXECUTION_ROLE_ARN=arn:aws:iam::123456789012:role/exec',
      '--set',
      'TASK_ROLE_ARN=arn:aws:iam::123456789012:role/worker',
      '--set',
      'IMAGE_REPOSITORY_URL=123456789012.dkr.ecr.us-east-1.amazonaws.com/worker',
      '--set',
      `WORKER_IMAGE_DIGEST=${digest}`,
      '--set',
      `PRIVATE_SUBNET_IDS=${subnets.join(',')}`,
      '--set',
      `WORKER_SECURITY_GROUP_ID=${sg}`,
    ];

    // without --stream: the plan's shard count
    const planned = run([...args, '--json']);
    expect(planned.code, planned.stderr).toBe(0);
    const p = JSON.parse(planned.stdout) as {
      replicaSource: string;
      services: { service: string; desiredCount: number; created: boolean }[];
    };
    expect(p.replicaSource).toBe('plan');
    expect(p.services.map((s) => s.service)).toEqual([`${name}-g1`, `${name}-g2`]);
    expect(p.services.every((s) => s.created)).toBe(true);
    const planShards = p.services[0]!.desiredCount;
    expect(planShards).toBeGreaterThanOrEqual(1);

    // with --stream: the stream's 3 shards, the services updated in place, the stream URI given to the workers
    const aligned = run([...args, '--stream', stream]);
    expect(aligned.code, aligned.stderr).toBe(0);
    expect(aligned.stdout).toBe(
      [1, 2]
        .map(
          (g) =>
            `registered ECS service ${name}-g${g} in cluster ${cluster} (aws-kinesis-ecs): desiredCount 3 = 3 shards, updated\n`,
        )
        .join(''),
    );
    const ecs = new ECSClient({
      region: moto.region,
      endpoint: moto.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      const services = await ecs.send(new DescribeServicesCommand({ cluster, services: [`${name}-g1`, `${name}-g2`] }));
      expect(services.services?.map((s) => [s.serviceName, s.desiredCount, s.launchType])).toEqual([
        [`${name}-g1`, 3, 'FARGATE'],
        [`${name}-g2`, 3, 'FARGATE'],
      ]);
      const td = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: services.services![0]!.taskDefinition! }));
      const c = td.taskDefinition!.containerDefinitions![0]!;
      expect(c.image).toBe(`123456789012.dkr.ecr.us-east-1.amazonaws.com/worker@${digest}`);
      expect(c.command).toEqual(expect.arrayContaining(['--stream', stream, '--topic', name, '--group', `${name}-g1`]));
      expect(td.taskDefinition!.revision).toBe(2);
    } finally {
      ecs.destroy();
    }
  });

  it('names a missing placeholder as a usage error, and needs an ecs:// compute URI', () => {
    const workload = join(cwd, 'missing.yaml');
    writeFileSync(
      workload,
      'name: missing\ningress: { recordsPerSecond: 10, avgRecordBytes: 100 }\nprocessing: { msPerRecord: 1 }\nretentionHours: 24\n',
    );
    const noCompute = run(['deploy', workload, '--target', 'aws-kinesis-ecs']);
    expect(noCompute.code).toBe(2);
    expect(noCompute.stderr).toContain('--compute ecs://<region>/<cluster>');
    const missing = run([
      'deploy',
      workload,
      '--target',
      'aws-kinesis-ecs',
      '--compute',
      `ecs://${moto.region}/${uniqueName('ecs-missing')}?endpoint=${moto.endpoint}`,
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/need values for .*\$\{EXECUTION_ROLE_ARN\}/);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  });
});
