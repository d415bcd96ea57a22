// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here are manifest placeholders (envsubst style), not JS templates
// biome-ignore-all lint/suspicious/noExplicitAny: parsed Kubernetes objects are navigated freely in assertions
import { writeK8sYaml } from '@speedlayer/iac';
import { validateK8sSchemas } from '@speedlayer/iac/validate';
import { describe, expect, it } from 'vitest';
import { fillPlaceholders, placeholdersIn, placeholderValuesFromStream, prepareManifests } from '../src/index.js';

const labels = { 'app.kubernetes.io/name': 'orders' };
const files = [
  {
    path: 'kubernetes/00-namespace.yaml',
    kind: 'kubernetes',
    content: writeK8sYaml([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'orders' } }]),
  },
  {
    path: 'kubernetes/10-worker.yaml',
    kind: 'kubernetes',
    content: writeK8sYaml([
      {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: {
          name: 'orders-worker',
          namespace: 'orders',
          annotations: { 'eks.amazonaws.com/role-arn': '${WORKER_ROLE_ARN}' },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'orders-config', namespace: 'orders' },
        data: { SPEEDLAYER_STREAM: 'msk://${MSK_CLUSTER_ARN}', SPEEDLAYER_TOPIC: 'orders', SPEEDLAYER_PARTITIONS: '12' },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'orders-g1', namespace: 'orders', labels },
        spec: {
          replicas: 12,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              containers: [
                { name: 'worker', image: 'ghcr.io/x/worker:1', args: ['worker', '--topic', 'orders', '--group', 'orders-g1'] },
              ],
            },
          },
        },
      },
    ]),
  },
  {
    path: 'kubernetes/20-keda.yaml',
    kind: 'kubernetes',
    content: writeK8sYaml([
      {
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'ScaledObject',
        metadata: { name: 'orders-g1', namespace: 'orders' },
        spec: {
          scaleTargetRef: { name: 'orders-g1' },
          minReplicaCount: 1,
          maxReplicaCount: 12,
          triggers: [{ type: 'kafka', metadata: { topic: 'orders', consumerGroup: 'orders-g1', lagThreshold: '10' } }],
        },
      },
    ]),
  },
  {
    path: 'kubernetes/alternatives/hpa.yaml',
    kind: 'kubernetes',
    content: writeK8sYaml([
      {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'orders-g1', namespace: 'orders' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'orders-g1' },
          minReplicas: 1,
          maxReplicas: 12,
        },
      },
    ]),
  },
];
const values = { WORKER_ROLE_ARN: 'arn:aws:iam::1:role/w', MSK_CLUSTER_ARN: 'arn:aws:kafka:c' };

describe('compute-kubernetes/plan-manifests', () => {
  it('sets Deployment replicas and the ScaledObject maximum to the partition count, and retargets the topic', () => {
    const objects = prepareManifests(files, {
      autoscaler: 'keda',
      values,
      partitions: 6,
      topic: 'orders-v2',
      namespace: 'team-a',
    });
    expect(objects.map((o) => o.kind)).toEqual(['Namespace', 'ServiceAccount', 'ConfigMap', 'Deployment', 'ScaledObject']);
    const [ns, sa, cm, d, so] = objects as Record<string, any>[];
    expect(ns?.metadata.name).toBe('team-a');
    expect(sa?.metadata).toMatchObject({
      namespace: 'team-a',
      annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/w' },
    });
    expect(cm?.data).toEqual({
      SPEEDLAYER_STREAM: 'msk://arn:aws:kafka:c',
      SPEEDLAYER_TOPIC: 'orders-v2',
      SPEEDLAYER_PARTITIONS: '6',
    });
    expect(d?.spec.replicas).toBe(6);
    expect(d?.spec.template.spec.containers[0].args).toEqual(['worker', '--topic', 'orders-v2', '--group', 'orders-g1']);
    expect(so?.spec).toMatchObject({ minReplicaCount: 1, maxReplicaCount: 6 });
    expect(so?.spec.triggers[0].metadata.topic).toBe('orders-v2');
    expect(validateK8sSchemas(objects as unknown as Record<string, unknown>[])).toEqual([]);
  });

  it('picks the HPA alternative and keeps the planner replicas when the stream has no partitions (Pub/Sub)', () => {
    const objects = prepareManifests(files, {
      autoscaler: 'hpa',
      values,
      partitions: null,
      image: 'registry/w@sha256:' + 'a'.repeat(64),
    });
    const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler') as Record<string, any>;
    const d = objects.find((o) => o.kind === 'Deployment') as Record<string, any>;
    expect(objects.some((o) => o.kind === 'ScaledObject')).toBe(false);
    expect(hpa.spec.maxReplicas).toBe(12);
    expect(d.spec.replicas).toBe(12);
    expect(d.spec.template.spec.containers[0].image).toMatch(/@sha256:/);
  });

  it('an unfilled placeholder is a ConfigError naming every missing name; a literal ${...} is never returned', () => {
    expect(() => prepareManifests(files, { autoscaler: 'keda', values: {}, partitions: 6 })).toThrow(
      expect.objectContaining({
        kind: 'config',
        field: '--set',
        message: expect.stringContaining('${MSK_CLUSTER_ARN}, ${WORKER_ROLE_ARN}'),
      }),
    );
    const objs = [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { A: 'x-${ONE}-${TWO}' } }];
    expect(placeholdersIn(objs)).toEqual(['ONE', 'TWO']);
    expect(fillPlaceholders(objs, { ONE: '1', TWO: '2' })[0]).toMatchObject({ data: { A: 'x-1-2' } });
  });

  it('derives placeholder values from the stream URI', () => {
    expect(placeholderValuesFromStream('pubsub://my-proj?emulatorHost=x')).toEqual({ GCP_PROJECT_ID: 'my-proj' });
    expect(placeholderValuesFromStream('eventhubs+kafka://ns1.servicebus.windows.net')).toEqual({ EVENTHUBS_NAMESPACE: 'ns1' });
    expect(placeholderValuesFromStream('kafka://127.0.0.1:9092')).toEqual({});
  });
});
