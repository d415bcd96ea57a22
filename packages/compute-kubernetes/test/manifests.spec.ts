// biome-ignore-all lint/suspicious/noExplicitAny: parsed Kubernetes objects are navigated freely in assertions
import { eventHubKedaTrigger, kafkaKedaTrigger, pubsubKedaTrigger } from '@speedlayer/iac';
import { validateK8sSchemas } from '@speedlayer/iac/validate';
import { describe, expect, it } from 'vitest';
import { workloadObjects } from '../src/index.js';

const base = {
  name: 'billing',
  image: 'registry.example/worker@sha256:' + 'a'.repeat(64),
  command: ['speedlayer', 'worker'],
  replicas: 3,
};
const options = {
  namespace: 'team-a',
  flavor: 'eks' as const,
  identity: 'arn:aws:iam::123456789012:role/billing',
  autoscaler: 'hpa' as const,
  egressPorts: [9098],
};

function byKind(objects: ReturnType<typeof workloadObjects>, kind: string) {
  const o = objects.find((x) => x.kind === kind);
  if (!o) throw new Error(`no ${kind}`);
  return o as Record<string, any>;
}

describe('compute-kubernetes/manifests', () => {
  it('hardens the pod: non-root, read-only root fs, all capabilities dropped, requests and limits, probes', () => {
    const d = byKind(workloadObjects({ ...base, resources: { cpu: 0.5, memoryMiB: 512 } }, options), 'Deployment');
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(c.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.resources).toEqual({ requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '1000m', memory: '512Mi' } });
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(d.spec.replicas).toBe(3);
  });

  it("annotates the service account for the flavour's workload identity", () => {
    expect(byKind(workloadObjects(base, options), 'ServiceAccount').metadata.annotations).toEqual({
      'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/billing',
      'eks.amazonaws.com/sts-regional-endpoints': 'true',
    });
    const aks = workloadObjects(base, { ...options, flavor: 'aks', identity: '00000000-0000-0000-0000-000000000001' });
    expect(byKind(aks, 'ServiceAccount').metadata.annotations['azure.workload.identity/client-id']).toBeDefined();
    expect(byKind(aks, 'Deployment').spec.template.metadata.labels['azure.workload.identity/use']).toBe('true');
    const gke = workloadObjects(base, { ...options, flavor: 'gke', identity: 'w@p.iam.gserviceaccount.com' });
    expect(byKind(gke, 'ServiceAccount').metadata.annotations['iam.gke.io/gcp-service-account']).toBe(
      'w@p.iam.gserviceaccount.com',
    );
  });

  it('puts plain env in a ConfigMap and secrets only as Secret references', () => {
    const objects = workloadObjects(
      { ...base, env: { LOG_LEVEL: 'info' }, secrets: [{ env: 'DB_PASSWORD', ref: 'k8s:billing-db/password' }] },
      options,
    );
    const env = byKind(objects, 'Deployment').spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'billing-db', key: 'password' } } });
    expect(byKind(objects, 'ConfigMap').data).toEqual({ LOG_LEVEL: 'info' });
    expect(JSON.stringify(objects)).not.toMatch(/password"\s*:\s*"[^"]/);
  });

  it('refuses secret references it cannot express, naming the field', () => {
    expect(() => workloadObjects({ ...base, secrets: [{ env: 'X', ref: 'plain-value' }] }, options)).toThrow(
      expect.objectContaining({ kind: 'validation', field: 'secrets[0].ref' }),
    );
    expect(() => workloadObjects({ ...base, image: undefined as unknown as string }, options)).toThrow(
      expect.objectContaining({ field: 'image' }),
    );
  });

  it('writes the autoscaler with max = the pinned replica count (HPA or KEDA ScaledObject)', () => {
    const spec = { ...base, autoscaling: { min: 1, max: 6 } };
    expect(byKind(workloadObjects(spec, options), 'HorizontalPodAutoscaler').spec).toMatchObject({
      minReplicas: 1,
      maxReplicas: 6,
    });
    const keda = workloadObjects(spec, {
      ...options,
      autoscaler: 'keda',
      trigger: { type: 'kafka', metadata: { topic: 'orders', lagThreshold: '50' } },
    });
    expect(byKind(keda, 'ScaledObject').spec).toMatchObject({
      minReplicaCount: 1,
      maxReplicaCount: 6,
      triggers: [{ type: 'kafka' }],
    });
    expect(() => workloadObjects(spec, { ...options, autoscaler: 'keda' })).toThrow(/trigger/);
  });

  it('on AKS, GKE and EKS a KEDA ScaledObject authenticates with pod identity through a TriggerAuthentication', () => {
    const spec = { ...base, autoscaling: { min: 1, max: 4 } };
    const cases = [
      {
        flavor: 'aks' as const,
        identity: '00000000-0000-0000-0000-000000000001',
        trigger: eventHubKedaTrigger({
          eventHubNamespace: 'ns1',
          eventHubName: 'orders',
          consumerGroup: 'billing',
          unprocessedEventThreshold: 64,
          storageAccountName: 'ckpt',
          blobContainer: 'checkpoints',
        }),
        provider: 'azure-workload',
      },
      {
        flavor: 'gke' as const,
        identity: 'w@p.iam.gserviceaccount.com',
        trigger: pubsubKedaTrigger({ subscriptionName: 'billing', value: 100 }),
        provider: 'gcp',
      },
      {
        flavor: 'eks' as const,
        identity: 'arn:aws:iam::1:role/w',
        trigger: kafkaKedaTrigger({ bootstrapServers: 'b:9098', consumerGroup: 'billing', topic: 'orders', lagThreshold: 10 }),
        provider: 'aws',
      },
    ];
    for (const c of cases) {
      const objects = workloadObjects(spec, { ...options, ...c, autoscaler: 'keda' });
      expect(byKind(objects, 'TriggerAuthentication').spec.podIdentity.provider).toBe(c.provider);
      expect(byKind(objects, 'ScaledObject').spec.triggers[0]).toEqual({
        ...c.trigger,
        authenticationRef: { name: 'billing-keda' },
      });
      expect(validateK8sSchemas(objects as unknown as Record<string, unknown>[])).toEqual([]);
    }
    const aks = workloadObjects(spec, { ...options, ...cases[0]!, autoscaler: 'keda' });
    expect(byKind(aks, 'ScaledObject').spec.triggers[0].metadata).toMatchObject({
      checkpointStrategy: 'blobMetadata',
      consumerGroup: 'billing',
      unprocessedEventThreshold: '64',
    });
    expect(
      byKind(workloadObjects(spec, { ...options, ...cases[1]!, autoscaler: 'keda' }), 'ScaledObject').spec.triggers[0].metadata,
    ).toMatchObject({ mode: 'SubscriptionSize', value: '100', subscriptionName: 'billing' });
    // plain Kubernetes: no cloud identity, no TriggerAuthentication
    const plain = workloadObjects(spec, { ...options, flavor: 'kubernetes', autoscaler: 'keda', trigger: cases[2]!.trigger });
    expect(plain.some((o) => o.kind === 'TriggerAuthentication')).toBe(false);
  });

  it('restricts the network: DNS and the stream ports out, the metrics port in', () => {
    const np = byKind(workloadObjects(base, options), 'NetworkPolicy');
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.egress[1].ports).toEqual([{ protocol: 'TCP', port: 9098 }]);
    expect(byKind(workloadObjects(base, options), 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
  });
});
