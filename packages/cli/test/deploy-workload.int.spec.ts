/**
 * `speedlayer deploy <workload>` against the real kube-apiserver peer: the planner's manifests are server-side
 * applied with every Deployment's replicas and its ScaledObject maximum equal to the topic's partitions (read from
 * a real Kafka / pstest), `--dry-run` stores nothing, and credentials without rights are a typed error naming the
 * kubeconfig and context. KEDA's trimmed CRDs (a schema stand-in: no KEDA operator runs) make the API server store
 * ScaledObjects and TriggerAuthentications.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { kedaCrds, kubeServerDryRun } from '@speedlayer/iac/validate';
import { uniqueName } from '@speedlayer/testing';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { beforeAll, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/speedlayer.js', import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), 'speedlayer-deploy-wl-'));
const workloadFile = join(cwd, 'workload.yaml');
writeFileSync(
  workloadFile,
  [
    'name: orders',
    'ingress: { recordsPerSecond: 200, avgRecordBytes: 512 }',
    'processing: { msPerRecord: 5 }',
    'retentionHours: 24',
    '',
  ].join('\n'),
);

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `deploy <workload>` arguments: target, cluster access, stream and topic, `--set` values, then other flags. */
function deployArgs(o: {
  target: string;
  kubeconfig: string;
  namespace?: string;
  stream: string;
  topic: string;
  set?: string[];
  extra?: string[];
}): string[] {
  return [
    ...['deploy', workloadFile, '--target', o.target, '--kubeconfig', o.kubeconfig],
    ...(o.namespace ? ['--namespace', o.namespace] : []),
    ...['--stream', o.stream, '--topic', o.topic],
    ...(o.set ?? []).flatMap((v) => ['--set', v]),
    // Plans pin the image by digest (<repo>@${WORKER_IMAGE_DIGEST}) unless --image replaces it.
    ...['--set', `WORKER_IMAGE_DIGEST=sha256:${'0'.repeat(64)}`],
    ...(o.extra ?? []),
  ];
}

function nsName(prefix: string): string {
  return uniqueName(prefix)
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 50);
}

describePeer('kubernetes', 'cli: deploy <workload> on kube-apiserver', (k8s) => {
  const kc = new KubeConfig();
  kc.loadFromFile(k8s.kubeconfig);
  const apps = kc.makeApiClient(AppsV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const scaledObject = (namespace: string, name: string) =>
    custom.getNamespacedCustomObject({
      group: 'keda.sh',
      version: 'v1alpha1',
      namespace,
      plural: 'scaledobjects',
      name,
    }) as Promise<{
      spec: { maxReplicaCount: number; minReplicaCount: number; triggers: { type: string; metadata: Record<string, string> }[] };
    }>;

  beforeAll(async () => {
    expect(await kubeServerDryRun(k8s.kubeconfig, [], kedaCrds())).toEqual([]);
  });

  describePeer('kafka', 'with partitions read from Kafka', (kafka) => {
    const stream = `kafka://${kafka.bootstrap}`;
    let topic: string;
    beforeAll(() => {
      topic = uniqueName('deploy-wl');
      const r = run(['topic', 'create', topic, '--partitions', '6', '--stream', stream]);
      expect(r.code, r.stderr).toBe(0);
    });

    it('--target aws-msk-eks applies the plan with Deployment replicas and ScaledObject max = 6 partitions', async () => {
      const namespace = nsName('eks');
      const r = run(
        deployArgs({
          target: 'aws-msk-eks',
          kubeconfig: k8s.kubeconfig,
          namespace,
          stream,
          topic,
          set: [
            'WORKER_ROLE_ARN=arn:aws:iam::123456789012:role/orders-worker',
            `MSK_BOOTSTRAP_BROKERS_SASL_IAM=${kafka.bootstrap}`,
          ],
          extra: ['--image', 'ghcr.io/speedlayer/worker:0.1.0', '--json'],
        }),
      );
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out).toMatchObject({ mode: 'applied', partitions: 6, replicaSource: 'stream partitions', namespace });
      expect(out.workloads).toEqual([
        expect.objectContaining({ name: 'orders-g1', desiredReplicas: 6, autoscaling: { min: 1, max: 6 } }),
      ]);
      const d = await apps.readNamespacedDeployment({ name: 'orders-g1', namespace });
      expect(d.spec?.replicas).toBe(6);
      expect(d.spec?.template.spec?.containers[0]?.args).toEqual(expect.arrayContaining(['--topic', topic]));
      expect(d.metadata?.managedFields?.some((f) => f.manager === 'speedlayer' && f.operation === 'Apply')).toBe(true);
      const so = await scaledObject(namespace, 'orders-g1');
      expect(so.spec.maxReplicaCount).toBe(6);
      expect(so.spec.triggers[0]).toMatchObject({ type: 'kafka', metadata: { topic, consumerGroup: 'orders-g1' } });
      const sa = await core.readNamespacedServiceAccount({ name: 'orders-worker', namespace });
      expect(sa.metadata?.annotations?.['eks.amazonaws.com/role-arn']).toBe('arn:aws:iam::123456789012:role/orders-worker');
      const cm = await core.readNamespacedConfigMap({ name: 'orders-config', namespace });
      expect(cm.data).toMatchObject({ SPEEDLAYER_STREAM: stream, SPEEDLAYER_TOPIC: topic, SPEEDLAYER_PARTITIONS: '6' });
      expect(JSON.stringify(cm.data)).not.toContain('${');
    });

    it('--target azure-eventhubs-aks applies workload identity and the azure-eventhub scaler with max = 6', async () => {
      const namespace = nsName('aks');
      const r = run(
        deployArgs({
          target: 'azure-eventhubs-aks',
          kubeconfig: k8s.kubeconfig,
          namespace,
          stream,
          topic,
          set: [
            'WORKER_CLIENT_ID=00000000-0000-0000-0000-000000000001',
            'EVENTHUBS_NAMESPACE=orders-ns',
            'CHECKPOINT_STORAGE_ACCOUNT=orderscheckpoints',
          ],
          extra: ['--json'],
        }),
      );
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ mode: 'applied', partitions: 6 });
      const d = await apps.readNamespacedDeployment({ name: 'orders-g1', namespace });
      expect(d.spec?.replicas).toBe(6);
      expect(d.spec?.template.metadata?.labels?.['azure.workload.identity/use']).toBe('true');
      const so = await scaledObject(namespace, 'orders-g1');
      expect(so.spec.maxReplicaCount).toBe(6);
      expect(so.spec.triggers[0]).toMatchObject({
        type: 'azure-eventhub',
        metadata: {
          eventHubName: topic,
          eventHubNamespace: 'orders-ns',
          storageAccountName: 'orderscheckpoints',
          checkpointStrategy: 'blobMetadata',
          consumerGroup: 'orders-g1',
        },
      });
      const ta = (await custom.getNamespacedCustomObject({
        group: 'keda.sh',
        version: 'v1alpha1',
        namespace,
        plural: 'triggerauthentications',
        name: 'orders-keda',
      })) as { spec: { podIdentity: { provider: string } } };
      expect(ta.spec.podIdentity.provider).toBe('azure-workload');
    });

    it('--dry-run validates on the server and stores nothing', async () => {
      const namespace = nsName('dry');
      await core.createNamespace({ body: { metadata: { name: namespace } } });
      const r = run(
        deployArgs({
          target: 'aws-msk-eks',
          kubeconfig: k8s.kubeconfig,
          namespace,
          stream,
          topic,
          set: ['WORKER_ROLE_ARN=arn:aws:iam::123456789012:role/w', 'MSK_BOOTSTRAP_BROKERS_SASL_IAM=b:9098'],
          extra: ['--dry-run'],
        }),
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/kind: Deployment[\s\S]*replicas: 6/);
      expect(r.stdout).toMatch(
        /dry-run \(server, nothing stored\) orders-g1 in .*: 6 replicas for 6 partitions, autoscaler 1\.\.6/,
      );
      await expect(apps.readNamespacedDeployment({ name: 'orders-g1', namespace })).rejects.toMatchObject({ code: 404 });
      await expect(scaledObject(namespace, 'orders-g1')).rejects.toMatchObject({ code: 404 });
      await expect(core.readNamespacedConfigMap({ name: 'orders-config', namespace })).rejects.toMatchObject({ code: 404 });
    });

    it('an unfilled placeholder is a usage error naming it, and nothing is applied', async () => {
      const namespace = nsName('ph');
      const r = run(deployArgs({ target: 'aws-msk-eks', kubeconfig: k8s.kubeconfig, namespace, stream, topic }));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/\$\{WORKER_ROLE_ARN\}/);
      await expect(core.readNamespace({ name: namespace })).rejects.toMatchObject({ code: 404 });
    });

    it('a kubeconfig whose user has no RBAC rights is an auth error naming the kubeconfig and context', async () => {
      await core
        .createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'speedlayer-nobody' } } })
        .catch((e: { code?: number }) => {
          if (e.code !== 409) throw e;
        });
      const tr = await core.createNamespacedServiceAccountToken({
        name: 'speedlayer-nobody',
        namespace: 'default',
        body: { spec: { audiences: [], expirationSeconds: 600 } },
      });
      const noAccess = new KubeConfig();
      noAccess.loadFromFile(k8s.kubeconfig);
      const cluster = noAccess.getCurrentCluster()!;
      noAccess.loadFromOptions({
        clusters: [cluster],
        users: [{ name: 'nobody', token: tr.status?.token as string }],
        contexts: [{ name: 'nobody-ctx', cluster: cluster.name, user: 'nobody' }],
        currentContext: 'nobody-ctx',
      });
      const file = join(cwd, 'kubeconfig-nobody');
      writeFileSync(file, noAccess.exportConfig(), { mode: 0o600 });
      const r = run(
        deployArgs({
          target: 'aws-msk-eks',
          kubeconfig: file,
          namespace: nsName('noauth'),
          stream,
          topic,
          set: ['WORKER_ROLE_ARN=arn:aws:iam::123456789012:role/w', 'MSK_BOOTSTRAP_BROKERS_SASL_IAM=b:9098'],
        }),
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`kubeconfig ${file} (context nobody-ctx)`);
      expect(r.stderr).toMatch(/not allowed \(403\)/);
      expect(r.stderr).not.toContain(tr.status?.token as string);
    });

    it('an unreachable cluster is a connection error', () => {
      const broken = new KubeConfig();
      broken.loadFromFile(k8s.kubeconfig);
      broken.clusters = [{ ...broken.getCurrentCluster()!, server: 'https://127.0.0.1:1' }];
      const file = join(cwd, 'kubeconfig-broken');
      writeFileSync(file, broken.exportConfig(), { mode: 0o600 });
      const r = run(deployArgs({ target: 'aws-msk-eks', kubeconfig: file, stream, topic }));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/cannot reach the Kubernetes API server/);
    });
  });

  describePeer('pubsub', 'with the Pub/Sub replica rule (pstest)', (pubsub) => {
    it('--target gcp-pubsub-gke applies the planner replicas (no partitions) and a gcp-pubsub backlog trigger', async () => {
      const stream = `pubsub://${pubsub.projectId}?emulatorHost=${pubsub.emulatorHost}`;
      const topic = uniqueName('deploy-gke');
      expect(run(['topic', 'create', topic, '--stream', stream]).code).toBe(0);
      const plan = run(['plan', workloadFile, '--target', 'gcp-pubsub-gke', '--json']);
      expect(plan.code, plan.stderr).toBe(0);
      const planned = JSON.parse(plan.stdout).plans[0] as { partitions: null; replicas: { min: number; max: number } };
      expect(planned.partitions).toBeNull();
      const namespace = nsName('gke');
      const r = run(
        deployArgs({
          target: 'gcp-pubsub-gke',
          kubeconfig: k8s.kubeconfig,
          namespace,
          stream,
          topic,
          set: [`WORKER_GSA_EMAIL=orders@${pubsub.projectId}.iam.gserviceaccount.com`],
          extra: ['--json'],
        }),
      );
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ partitions: null, replicaSource: 'plan' });
      const d = await apps.readNamespacedDeployment({ name: 'orders-g1', namespace });
      expect(d.spec?.replicas).toBe(planned.replicas.max);
      const so = await scaledObject(namespace, 'orders-g1');
      expect(so.spec.maxReplicaCount).toBe(planned.replicas.max);
      expect(so.spec.triggers[0]).toMatchObject({
        type: 'gcp-pubsub',
        // the subscription the pubsub:// client joins: <topic>.<group>
        metadata: { mode: 'SubscriptionSize', subscriptionName: 'orders.orders-g1' },
      });
      const sa = await core.readNamespacedServiceAccount({ name: 'orders-worker', namespace });
      expect(sa.metadata?.annotations?.['iam.gke.io/gcp-service-account']).toBe(
        `orders@${pubsub.projectId}.iam.gserviceaccount.com`,
      );
      const cm = await core.readNamespacedConfigMap({ name: 'orders-config', namespace });
      expect(cm.data?.GCP_PROJECT_ID).toBe(pubsub.projectId);
    });
  });
});
