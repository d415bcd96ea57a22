// biome-ignore-all lint/suspicious/noTemplateCurlyInString: this file writes IaC text whose ${...} are HCL, CloudFormation or envsubst placeholders, not JS templates
import { fileURLToPath } from 'node:url';
import {
  checkGolden,
  parseK8sYaml,
  parseTerraformFiles,
  platformResourcesIn,
  validateK8sSchemas,
} from '@speedlayer/iac/validate';
import { planOnTarget } from '@speedlayer/planner';
import { GOLDEN_EMIT_CONTEXT, PLANNER_WORKLOADS } from '@speedlayer/testing';
import { describe, expect, it } from 'vitest';
import { pubsubGkeTarget } from '../src/plan/index.js';

const workloads = PLANNER_WORKLOADS;
const emit = (w: object) => planOnTarget(pubsubGkeTarget, w, { context: GOLDEN_EMIT_CONTEXT });

// biome-ignore lint/suspicious/noExplicitAny: parsed HCL/YAML is navigated freely in assertions
type Tf = { resource: Record<string, Record<string, Record<string, any>[]>> };

describe('gcp-pubsub-gke/emit', () => {
  const { files } = emit(workloads.clickstream);

  it('emits a CMEK topic with retention and one ordered subscription per group with dead-letter and retry policies', async () => {
    const tf = (await parseTerraformFiles(files)) as Tf;
    expect(tf.resource.google_pubsub_topic!.this![0]).toMatchObject({
      kms_key_name: '${google_kms_crypto_key.this.id}',
      message_retention_duration: '604800s',
    });
    const sub = tf.resource.google_pubsub_subscription!.groups![0]!;
    expect(sub).toMatchObject({
      for_each: '${toset(["clickstream-g1", "clickstream-g2"])}',
      enable_message_ordering: true,
      ack_deadline_seconds: 10,
    });
    expect(sub.dead_letter_policy).toEqual([
      { dead_letter_topic: '${google_pubsub_topic.dead_letter.id}', max_delivery_attempts: 5 },
    ]);
    expect(sub.retry_policy).toEqual([{ minimum_backoff: '10s', maximum_backoff: '600s' }]);
    expect(tf.resource.google_kms_crypto_key!.this![0]!.rotation_period).toBe('7776000s');
  });

  it('emits a private GKE cluster with Workload Identity and network policy, and least-privilege subscriber bindings', async () => {
    const tf = (await parseTerraformFiles(files)) as Tf;
    const gke = tf.resource.google_container_cluster!.this![0]!;
    expect(gke.private_cluster_config[0]).toMatchObject({ enable_private_nodes: true, enable_private_endpoint: true });
    expect(gke.workload_identity_config).toEqual([{ workload_pool: '${var.project_id}.svc.id.goog' }]);
    expect(gke.network_policy[0].enabled).toBe(true);
    expect(gke.database_encryption[0].state).toBe('ENCRYPTED');
    const binding = tf.resource.google_pubsub_subscription_iam_member!.groups_worker![0]!;
    expect(binding).toMatchObject({
      role: 'roles/pubsub.subscriber',
      subscription: '${google_pubsub_subscription.groups[each.value].name}',
    });
    expect(JSON.stringify(tf.resource)).not.toContain('roles/pubsub.admin');
  });

  it('emits Kubernetes manifests with GKE Workload Identity and the Pub/Sub KEDA scaler', () => {
    // biome-ignore lint/suspicious/noExplicitAny: parsed HCL/YAML is navigated freely in assertions
    const objs = files.filter((f) => f.kind === 'kubernetes').flatMap((f) => parseK8sYaml(f.content)) as Record<string, any>[];
    expect(validateK8sSchemas(objs)).toEqual([]);
    const sa = objs.find((o) => o.kind === 'ServiceAccount')!;
    expect(sa.metadata.annotations['iam.gke.io/gcp-service-account']).toBe('${WORKER_GSA_EMAIL}');
    const so = objs.find((o) => o.kind === 'ScaledObject')!;
    expect(so.spec).toMatchObject({ minReplicaCount: 40, maxReplicaCount: 80 });
    expect(so.spec.triggers[0]).toMatchObject({
      type: 'gcp-pubsub',
      metadata: { mode: 'SubscriptionSize', subscriptionName: 'clickstream-g1' },
    });
    expect(objs.find((o) => o.kind === 'Deployment')!.spec.replicas).toBe(80);
  });

  it('provisions the dead-letter topic <topic>.dlq, publishable by Pub/Sub and the worker, readable by the worker', async () => {
    const tf = (await parseTerraformFiles(files)) as Tf;
    expect(tf.resource.google_pubsub_topic!.dead_letter![0]!.name).toBe('clickstream.dlq');
    expect(tf.resource.google_pubsub_subscription!.dead_letter![0]!.name).toBe('clickstream.dlq');
    expect(tf.resource.google_pubsub_topic_iam_member!.dead_letter_worker![0]!.for_each).toContain('roles/pubsub.publisher');
    expect(tf.resource.google_pubsub_subscription_iam_member!.dead_letter_worker![0]!.for_each).toContain(
      'roles/pubsub.subscriber',
    );
    expect(JSON.stringify(tf)).not.toContain('-dead-letter');
  });

  it('resolves googleapis.com privately and lets KEDA read the backlog from Cloud Monitoring', async () => {
    const tf = (await parseTerraformFiles(files)) as Tf;
    expect(tf.resource.google_dns_managed_zone!.googleapis![0]).toMatchObject({
      dns_name: 'googleapis.com.',
      visibility: 'private',
    });
    expect(tf.resource.google_dns_record_set!.googleapis_wildcard![0]).toMatchObject({
      name: '*.googleapis.com.',
      rrdatas: ['private.googleapis.com.'],
    });
    const keda = tf.resource.google_project_iam_member!.keda_monitoring_viewer![0]!;
    expect(keda.role).toBe('roles/monitoring.viewer');
    expect(keda.member).toMatch(/\/subject\/ns\/\$\{var\.keda_namespace\}\/sa\/keda-operator$/);
  });

  it('--scope workload: topics, subscriptions, identities and worker objects only', async () => {
    const w = planOnTarget(pubsubGkeTarget, workloads.clickstream, {
      context: { generator: 'speedlayer', scope: 'workload' },
    }).files;
    expect(await platformResourcesIn(w)).toEqual([]);
    expect((await platformResourcesIn(files)).length).toBeGreaterThan(3);
    const tf = (await parseTerraformFiles(w)) as Tf;
    expect(tf.resource.google_pubsub_topic!.dead_letter![0]!.kms_key_name).toBe('${var.kms_key_id}');
  });

  it.each(Object.entries(workloads))('matches the golden files for %s', async (name, w) => {
    const dir = fileURLToPath(new URL(`./golden/${name}`, import.meta.url));
    expect(await checkGolden(dir, emit(w).files, process.env.UPDATE_GOLDEN === '1')).toEqual([]);
  });
});
