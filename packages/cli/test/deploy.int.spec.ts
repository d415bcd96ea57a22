/**
 * `speedlayer deploy` against the real kube-apiserver peer: the Deployment's replicas and the autoscaler's
 * maximum equal the topic's partitions.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppsV1Api, AutoscalingV2Api, KubeConfig } from '@kubernetes/client-node';
import { uniqueName } from '@speedlayer/testing';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/speedlayer.js', import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), 'speedlayer-deploy-'));

function run(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describePeer('kubernetes', 'cli: deploy on Kubernetes', (k8s) => {
  it('deploy --target aws-msk-eks sets replicas and the HPA maximum to the partition count', async () => {
    const stream = `local://${join(cwd, 'data')}`;
    const topic = uniqueName('deploy');
    expect(run(['topic', 'create', topic, '--partitions', '6', '--stream', stream]).code).toBe(0);
    const r = run([
      'deploy',
      '--target',
      'aws-msk-eks',
      '--kubeconfig',
      k8s.kubeconfig,
      '--namespace',
      'speedlayer-deploy',
      '--stream',
      stream,
      '--topic',
      topic,
      '--group',
      'billing',
      '--handler',
      '/app/handler.js',
      '--image',
      'ghcr.io/speedlayer/worker:0.1.0',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ partitions: 6, desiredReplicas: 6, autoscaling: { max: 6 }, readyReplicas: 0 });
    const kc = new KubeConfig();
    kc.loadFromFile(k8s.kubeconfig);
    const name = out.name as string;
    const d = await kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name, namespace: 'speedlayer-deploy' });
    const hpa = await kc
      .makeApiClient(AutoscalingV2Api)
      .readNamespacedHorizontalPodAutoscaler({ name, namespace: 'speedlayer-deploy' });
    expect(d.spec?.replicas).toBe(6);
    expect(hpa.spec?.maxReplicas).toBe(6);
    expect(d.spec?.template.spec?.containers[0]?.command).toEqual(
      expect.arrayContaining(['speedlayer', 'worker', '--topic', topic, '--group', 'billing']),
    );
  });

  it('deploy without an image on a container platform is a usage error naming --image', () => {
    const r = run([
      'deploy',
      '--target',
      'aws-msk-eks',
      '--kubeconfig',
      k8s.kubeconfig,
      '--topic',
      'x',
      '--group',
      'g',
      '--handler',
      'h.js',
      '--stream',
      `local://${join(cwd, 'data')}`,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^speedlayer: --image is required for a container platform\n$/);
  });
});

describePeer('moto', 'cli: deploy on ECS (moto)', (moto) => {
  it('deploy --target aws-kinesis-ecs aligns the service desired count and autoscaling maximum to the shard count', () => {
    const env = { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: moto.region };
    const stream = `kinesis://${moto.region}?endpoint=${moto.endpoint}`;
    const topic = uniqueName('deploy-ecs');
    const create = spawnSync(process.execPath, [bin, 'topic', 'create', topic, '--partitions', '3', '--stream', stream], {
      cwd,
      env,
      encoding: 'utf8',
    });
    expect(create.status, create.stderr).toBe(0);
    const r = spawnSync(
      process.execPath,
      [
        bin,
        'deploy',
        '--target',
        'aws-kinesis-ecs',
        '--compute',
        `ecs://${moto.region}/speedlayer-deploy?endpoint=${moto.endpoint}`,
        '--stream',
        stream,
        '--topic',
        topic,
        '--group',
        'billing',
        '--handler',
        '/app/handler.js',
        '--image',
        'ghcr.io/speedlayer/worker:0.1.0',
        '--json',
      ],
      { cwd, env, encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ partitions: 3, desiredReplicas: 3, autoscaling: { max: 3 }, readyReplicas: 0 });
  });
});
