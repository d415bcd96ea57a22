// biome-ignore-all lint/suspicious/noTemplateCurlyInString: this file writes IaC text whose ${...} are HCL, CloudFormation or envsubst placeholders, not JS templates
import { describe, expect, it } from 'vitest';
import { findSecretValues, k8sFiles, type WorkerManifestSpec, workerManifests, writeK8sYaml } from '../src/index.js';
import { parseK8sYaml, validateK8sSchemas } from '../src/validate/index.js';

const spec: WorkerManifestSpec = {
  name: 'orders',
  namespace: 'orders',
  target: 'aws-msk-eks',
  image: 'ghcr.io/speedlayer/worker:0.1.0',
  handler: '/app/handler.js',
  streamUri: 'msk://${MSK_CLUSTER_ARN}',
  topic: 'orders',
  partitions: 12,
  groups: [
    { name: 'orders-g1', replicas: { min: 3, max: 12 } },
    { name: 'orders-g2', replicas: { min: 3, max: 12 } },
  ],
  resources: { cpu: 0.5, memoryMiB: 512 },
  serviceAccountAnnotations: { 'eks.amazonaws.com/role-arn': '${WORKER_ROLE_ARN}' },
  kedaPodIdentity: { provider: 'aws', identityOwner: 'workload' },
  kedaTrigger: (g) => ({ type: 'kafka', metadata: { consumerGroup: g.name, topic: 'orders', lagThreshold: '10' } }),
  egress: [{ cidrs: ['10.0.0.0/16'], ports: [9098], why: 'brokers' }],
};

// biome-ignore lint/suspicious/noExplicitAny: parsed HCL/YAML is navigated freely in assertions
type Obj = Record<string, any>;

describe('iac/k8s', () => {
  const m = workerManifests(spec);
  const all = [...m.namespace, ...m.worker, ...m.keda, ...m.hpa] as Obj[];
  const deployments = all.filter((o) => o.kind === 'Deployment');

  it('validates every object against the bundled Kubernetes and KEDA JSON schemas', () => {
    expect(validateK8sSchemas(all)).toEqual([]);
  });

  it('finds schema errors (the validator is not a no-op)', () => {
    const bad = structuredClone(deployments[0]!);
    bad.spec.replicas = 'twelve';
    expect(validateK8sSchemas([bad])[0]!.message).toMatch(/replicas/);
    expect(validateK8sSchemas([{ apiVersion: 'x/v1', kind: 'Nope', metadata: { name: 'n' } }])[0]!.message).toMatch(/no schema/);
  });

  it('runs one deployment per group with replicas = partitions and the worker command', () => {
    expect(deployments.map((d) => d.metadata.name)).toEqual(['orders-g1', 'orders-g2']);
    for (const d of deployments) {
      expect(d.spec.replicas).toBe(12);
      const c = d.spec.template.spec.containers[0];
      expect([c.command[0], ...c.args]).toEqual([
        'speedlayer',
        'worker',
        '--stream',
        '$(SPEEDLAYER_STREAM)',
        '--topic',
        'orders',
        '--group',
        d.metadata.name,
        '--handler',
        '/app/handler.js',
      ]);
    }
  });

  it('hardens every pod: non-root, read-only root fs, no capabilities, no escalation, seccomp, limits, probes', () => {
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.automountServiceAccountToken).toBe(false);
      const c = pod.containers[0];
      expect(c.securityContext).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        privileged: false,
        capabilities: { drop: ['ALL'] },
      });
      expect(c.securityContext.runAsUser).toBeGreaterThan(10000);
      expect(c.resources.requests).toEqual({ cpu: '500m', memory: '512Mi' });
      expect(c.resources.limits.memory).toBe('512Mi');
      expect(c.livenessProbe.httpGet.path).toBe('/healthz');
      expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    }
  });

  it('scales with KEDA between min and max = partitions, and offers an HPA with the same bounds', () => {
    const scaled = all.filter((o) => o.kind === 'ScaledObject');
    expect(scaled.map((s) => [s.spec.minReplicaCount, s.spec.maxReplicaCount])).toEqual([
      [3, 12],
      [3, 12],
    ]);
    expect(scaled[0]!.spec.triggers[0]).toMatchObject({ type: 'kafka', authenticationRef: { name: 'orders-keda' } });
    const auth = all.find((o) => o.kind === 'TriggerAuthentication')!;
    expect(auth.spec.podIdentity).toEqual({ provider: 'aws', identityOwner: 'workload' });
    const hpas = all.filter((o) => o.kind === 'HorizontalPodAutoscaler');
    expect(hpas.map((h) => h.spec.maxReplicas)).toEqual([12, 12]);
  });

  it('adds a PodDisruptionBudget per deployment and default-deny network policies with explicit egress', () => {
    expect(all.filter((o) => o.kind === 'PodDisruptionBudget')).toHaveLength(2);
    const policies = all.filter((o) => o.kind === 'NetworkPolicy');
    expect(policies[0]!.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const egress = policies[1]!.spec.egress;
    expect(egress[0].ports).toContainEqual({ protocol: 'UDP', port: 53 });
    expect(egress[1]).toEqual({ to: [{ ipBlock: { cidr: '10.0.0.0/16' } }], ports: [{ protocol: 'TCP', port: 9098 }] });
  });

  it('uses workload identity annotations and never a secret value', () => {
    const sa = all.find((o) => o.kind === 'ServiceAccount')!;
    expect(sa.metadata.annotations['eks.amazonaws.com/role-arn']).toBe('${WORKER_ROLE_ARN}');
    const text = k8sFiles(spec, ['h'])
      .map((f) => f.content)
      .join('\n');
    expect(findSecretValues(text)).toEqual([]);
    expect(all.some((o) => o.kind === 'Secret')).toBe(false);
  });

  it('writes multi-document YAML that reads back to the same objects', () => {
    expect(parseK8sYaml(writeK8sYaml(m.worker as never, ['x']))).toEqual(JSON.parse(JSON.stringify(m.worker)));
  });

  it('detects secret values', () => {
    expect(findSecretValues('key = "AKIAABCDEFGHIJKLMNOP"')).toEqual(['AWS access key id']);
    expect(findSecretValues('Endpoint=sb://x/;SharedAccessKeyName=a;SharedAccessKey=abcdefghijkl')).toEqual([
      'connection string key',
    ]);
    expect(findSecretValues('password = "hunter2hunter2"')).toEqual(['password literal']);
  });
});
