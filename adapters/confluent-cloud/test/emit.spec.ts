// biome-ignore-all lint/suspicious/noTemplateCurlyInString: this file reads IaC text whose ${...} are HCL or envsubst placeholders, not JS templates
import { findSecretValues } from '@speedlayer/iac';
import { parseK8sYaml, parseTerraformFiles, validateK8sSchemas } from '@speedlayer/iac/validate';
import { kafkaAclBindings, planOnTarget, validateWorkload } from '@speedlayer/planner';
import { GOLDEN_EMIT_CONTEXT, PLANNER_WORKLOADS } from '@speedlayer/testing';
import { describe, expect, it } from 'vitest';
import {
  azureConfluentAksTarget,
  CLUSTER_TYPES,
  CONFLUENT_PROVIDER_VERSION,
  capacityUnits,
  gcpConfluentGkeTarget,
} from '../src/plan/index.js';

const orders = {
  name: 'orders',
  ingress: { recordsPerSecond: 2000, avgRecordBytes: 1024, peakFactor: 2 },
  processing: { msPerRecord: 2 },
  retentionHours: 72,
  access: {
    producers: [{ principal: 'orders-api' }],
    consumers: [
      { principal: 'billing', group: 'billing' },
      { principal: 'fraud', group: 'fraud-scoring' },
    ],
  },
};

// biome-ignore lint/suspicious/noExplicitAny: parsed HCL is navigated freely in assertions
type Any = any;
type Tf = {
  resource: Record<string, Record<string, Record<string, Any>[]>>;
  variable: Record<string, Any[]>;
  output: Record<string, Any[]>;
  terraform: Any[];
};

describe.each([
  ['azure-confluent-aks', azureConfluentAksTarget, 'azurerm_kubernetes_cluster', 'AZURE'],
  ['gcp-confluent-gke', gcpConfluentGkeTarget, 'google_container_cluster', 'GCP'],
] as const)('%s/emit', (_id, target, k8sCluster, cloud) => {
  const { files, plan } = planOnTarget(target, orders, { context: GOLDEN_EMIT_CONTEXT });

  it('pins the confluentinc/confluent provider and takes its credentials only as sensitive variables', async () => {
    const tf = (await parseTerraformFiles(files)) as Tf;
    const providers = tf.terraform[0].required_providers[0];
    expect(providers.confluent).toEqual({ source: 'confluentinc/confluent', version: CONFLUENT_PROVIDER_VERSION });
    expect(CONFLUENT_PROVIDER_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    for (const v of ['confluent_cloud_api_key', 'confluent_cloud_api_secret']) {
      expect(tf.variable[v]![0]).toMatchObject({ sensitive: true });
      expect(tf.variable[v]![0].default).toBeUndefined();
    }
    expect(tf.output.principal_api_key_secrets![0]).toMatchObject({ sensitive: true });
  });

  it('writes no secret literal: every secret is a variable or a resource reference', () => {
    const all = files.map((f) => f.content).join('\n');
    for (const f of files) expect(findSecretValues(f.content), f.path).toEqual([]);
    // Every `secret =` / `cloud_api_secret =` is an expression, never a quoted string.
    const secrets = [...all.matchAll(/^\s*(secret|cloud_api_secret|cloud_api_key|key)\s*=\s*(.+)$/gm)].map((m) => m[2]!.trim());
    expect(secrets.length).toBeGreaterThan(4);
    for (const s of secrets) expect(s.startsWith('"'), s).toBe(false);
  });

  it('creates the environment, a cluster of the planned type in the right cloud, the topic with partitions_count and <topic>.dlq', async () => {
    const tf = (await parseTerraformFiles(files)) as Tf;
    const cluster = tf.resource.confluent_kafka_cluster!.this![0]!;
    expect(cluster).toMatchObject({ cloud, availability: 'HIGH' });
    expect(cluster[String(plan.capacity.clusterType)]).toBeDefined();
    expect(tf.resource.confluent_kafka_topic!.this![0]).toMatchObject({
      topic_name: 'orders',
      partitions_count: plan.partitions,
    });
    expect(tf.resource.confluent_kafka_topic!.dead_letter![0]).toMatchObject({ topic_name: 'orders.dlq' });
    expect(tf.resource[k8sCluster]!.this).toBeDefined();
  });

  it('gives each principal a service account, an API key and exactly the ACLs of the access block', async () => {
    const tf = (await parseTerraformFiles(files)) as Tf;
    const sas = Object.keys(tf.resource.confluent_service_account!).sort();
    expect(sas).toEqual(['manager', 'principal_billing', 'principal_fraud', 'principal_orders_api']);
    expect(Object.keys(tf.resource.confluent_api_key!).sort()).toEqual(sas);
    const acls = Object.values(tf.resource.confluent_kafka_acl!)
      .map((a) => a[0]!)
      .map((a) => `${a.principal} ${a.resource_type}:${a.resource_name} ${a.operation} ${a.permission} ${a.pattern_type}`)
      .sort();
    const w = validateWorkload(orders);
    const expected = kafkaAclBindings(w.access!, 'orders')
      .map(
        (b) =>
          `User:\${confluent_service_account.principal_${b.principal.slice(5).replace(/-/g, '_')}.id} ${b.resourceType.toUpperCase()}:${b.resourceName} ${b.operation} ALLOW LITERAL`,
      )
      .sort();
    expect(acls).toEqual(expected);
    expect(acls.some((a) => a.includes('principal_orders_api') && a.includes('READ'))).toBe(false);
  });

  it('runs each group as its principal over SASL_SSL PLAIN: API key id by placeholder, secret as a mounted file', () => {
    const objects = files.filter((f) => f.path.startsWith('kubernetes/')).flatMap((f) => parseK8sYaml(f.content));
    expect(validateK8sSchemas(objects)).toEqual([]);
    // biome-ignore lint/suspicious/noExplicitAny: parsed YAML
    const deps = objects.filter((o) => o.kind === 'Deployment') as any[];
    expect(deps.map((d) => d.metadata.name).sort()).toEqual(['billing', 'fraud-scoring']);
    const fraud = deps.find((d) => d.metadata.name === 'fraud-scoring');
    const env = Object.fromEntries(
      fraud.spec.template.spec.containers[0].env.map((e: { name: string; value?: string }) => [e.name, e.value]),
    );
    expect(env.SPEEDLAYER_STREAM).toBe(
      'kafka://${CONFLUENT_BOOTSTRAP}?tls=true&sasl=plain&username=${FRAUD_API_KEY}&password=file:/etc/kafka-user/password',
    );
    expect(fraud.spec.template.spec.volumes).toContainEqual({
      name: 'kafka-user',
      secret: { secretName: 'fraud-confluent', items: [{ key: 'password', path: 'password' }] },
    });
    // biome-ignore lint/suspicious/noExplicitAny: parsed YAML
    const so = objects.find((o) => o.kind === 'ScaledObject' && (o.metadata as any).name === 'fraud-scoring') as any;
    expect(so.spec.maxReplicaCount).toBe(plan.partitions);
    expect(so.spec.triggers[0].metadata).toMatchObject({ sasl: 'plaintext', tls: 'enable', consumerGroup: 'fraud-scoring' });
  });

  it('is byte-identical when planned again', () => {
    expect(planOnTarget(target, orders, { context: GOLDEN_EMIT_CONTEXT }).files).toEqual(files);
  });
});

describe('confluent-cloud/sizing', () => {
  it('picks the cheapest cluster type that fits, never Basic on auto, and says why', () => {
    const { plan } = planOnTarget(azureConfluentAksTarget, orders, { emit: false });
    expect(plan.feasible).toBe(true);
    expect(['standard', 'enterprise', 'dedicated']).toContain(plan.capacity.clusterType);
    expect(plan.choice.join(' ')).toMatch(/basic is never chosen automatically/);
    for (const c of plan.cost) expect(c.price.source).toMatch(/^https:\/\//);
  });

  it('sizes capacity units by ingress, egress and partitions, with two CKUs at least on Dedicated', () => {
    const t = CLUSTER_TYPES.standard;
    const u = capacityUnits('standard', {
      peakBytesPerSec: 3 * t.ingressPerUnit.value,
      peakEgressBytesPerSec: 1,
      partitions: 1,
    });
    expect(u).toMatchObject({ units: 3, byIngress: 3 });
    expect(capacityUnits('dedicated', { peakBytesPerSec: 1, peakEgressBytesPerSec: 1, partitions: 1 }).units).toBe(2);
  });

  it('moves to a larger type when Standard cannot carry the load, and blocks a too-large record on the type named', () => {
    const big = { ...PLANNER_WORKLOADS.clickstream, ingress: { recordsPerSecond: 400_000, avgRecordBytes: 1024, peakFactor: 2 } };
    const { plan } = planOnTarget(gcpConfluentGkeTarget, big, { emit: false });
    expect(plan.capacity.clusterType).not.toBe('standard');
    expect(plan.choice.join(' ')).toMatch(/standard ruled out/);
    const named = planOnTarget(
      gcpConfluentGkeTarget,
      { ...orders, maxRecordBytes: 10 * 1024 * 1024, targets: { 'gcp-confluent-gke': { clusterType: 'standard' } } },
      { emit: false },
    ).plan;
    expect(named.feasible).toBe(false);
    expect(named.blockers.map((b) => b.field)).toEqual(['maxRecordBytes']);
  });
});
