// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here are manifest placeholders (envsubst style), not JS templates
import { fileURLToPath } from 'node:url';
import { validateK8sSchemas } from '@speedlayer/iac/validate';
import { describe, expect, it } from 'vitest';
import { deployWorkload } from '../src/commands/deploy.js';

const small = fileURLToPath(new URL('../../../examples/workloads/small.yaml', import.meta.url));
// Plans pin the worker image by digest: `<repository>@${WORKER_IMAGE_DIGEST}` unless deploy.image has one.
const digest = { WORKER_IMAGE_DIGEST: `sha256:${'a'.repeat(64)}` };
const values: Record<string, Record<string, string>> = {
  'aws-msk-eks': {
    WORKER_ROLE_ARN: 'arn:aws:iam::1:role/w',
    MSK_BOOTSTRAP_BROKERS_SASL_IAM: 'b:9098',
    MSK_CLUSTER_ARN: 'arn:c',
    ...digest,
  },
  'azure-eventhubs-aks': { WORKER_CLIENT_ID: 'id', EVENTHUBS_NAMESPACE: 'ns', CHECKPOINT_STORAGE_ACCOUNT: 'acct', ...digest },
  'gcp-pubsub-gke': { WORKER_GSA_EMAIL: 'w@p.iam.gserviceaccount.com', GCP_PROJECT_ID: 'p', ...digest },
};

describe('cli/deploy <workload> --dry-run --offline', () => {
  for (const target of Object.keys(values)) {
    it(`${target}: fills every placeholder and sets replicas = autoscaler max from the plan, schema-valid`, async () => {
      const r = await deployWorkload(small, { target, dryRun: true, offline: true, values: values[target]!, env: {} });
      expect(r).toMatchObject({ mode: 'offline', compute: null, replicaSource: 'plan', applied: [] });
      expect(JSON.stringify(r.objects)).not.toContain('${');
      expect(r.workloads.length).toBeGreaterThan(0);
      for (const w of r.workloads) expect(w.desiredReplicas).toBe(w.autoscaling?.max);
      expect(validateK8sSchemas(r.objects as unknown as Record<string, unknown>[])).toEqual([]);
    });
  }

  it('names the missing placeholder and refuses a non-Kubernetes target', async () => {
    await expect(deployWorkload(small, { target: 'gcp-pubsub-gke', dryRun: true, offline: true, env: {} })).rejects.toMatchObject(
      {
        kind: 'config',
        message: expect.stringContaining('${GCP_PROJECT_ID}'),
      },
    );
    await expect(deployWorkload(small, { target: 'aws-kinesis-ecs', dryRun: true, offline: true })).rejects.toMatchObject({
      kind: 'config',
      field: 'target',
    });
  });

  it('takes placeholder values from the environment', async () => {
    const r = await deployWorkload(small, {
      target: 'gcp-pubsub-gke',
      dryRun: true,
      offline: true,
      env: values['gcp-pubsub-gke']!,
    });
    const sa = r.objects.find((o) => o.kind === 'ServiceAccount');
    expect(sa?.metadata.annotations?.['iam.gke.io/gcp-service-account']).toBe('w@p.iam.gserviceaccount.com');
  });
});
