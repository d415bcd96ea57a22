// biome-ignore-all lint/suspicious/noTemplateCurlyInString: this file writes IaC text whose ${...} are HCL, CloudFormation or envsubst placeholders, not JS templates
import { readFileSync } from 'node:fs';
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
import { parse } from 'yaml';
import { LAG_PROJECT_PERMISSIONS, LAG_TOPIC_PERMISSIONS, pubsubGkeTarget } from '../src/plan/index.js';
import { subscriptionName } from '../src/stream/mapping.js';

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
      metadata: { mode: 'SubscriptionSize', subscriptionName: 'clickstream.clickstream-g1' },
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

  it('names each group subscription <topic>.<group>, the subscription the pubsub:// client joins and KEDA watches', async () => {
    const tf = (await parseTerraformFiles(files)) as Tf;
    expect(tf.resource.google_pubsub_subscription!.groups![0]!.name).toBe('clickstream.${each.value}');
    // biome-ignore lint/suspicious/noExplicitAny: parsed YAML
    const objs = files.filter((f) => f.kind === 'kubernetes').flatMap((f) => parseK8sYaml(f.content)) as Record<string, any>[];
    const watched = objs.filter((o) => o.kind === 'ScaledObject').map((o) => o.spec.triggers[0].metadata.subscriptionName);
    expect(watched.sort()).toEqual(['clickstream-g1', 'clickstream-g2'].map((g) => subscriptionName('clickstream', g)));
  });
});

describe('gcp-pubsub-gke/emit: consumer lag grants', () => {
  const orders = parse(
    readFileSync(fileURLToPath(new URL('../../../examples/workloads/orders-access.yaml', import.meta.url)), 'utf8'),
  );
  const tfOf = async (w: object) => (await parseTerraformFiles(emit(w).files)) as Tf;
  const withOptions = (w: object, o: object) => ({ ...w, targets: { 'gcp-pubsub-gke': o } });

  /**
   * Every call of one lag reading (src/stream/lag.ts) and the permissions Pub/Sub checks for it, with the resource it
   * checks them on (https://cloud.google.com/pubsub/docs/access-control, "Required permissions").
   */
  type Where = 'project' | 'topic' | 'group subscription' | 'temporary';
  const LAG_CALLS: [call: string, permission: string, on: Where][] = [
    ['CreateSnapshot', 'pubsub.snapshots.create', 'project'],
    ['CreateSnapshot', 'pubsub.subscriptions.consume', 'group subscription'],
    ['CreateSubscription', 'pubsub.subscriptions.create', 'project'],
    ['CreateSubscription', 'pubsub.topics.attachSubscription', 'topic'],
    ['Seek', 'pubsub.subscriptions.consume', 'temporary'],
    ['Seek', 'pubsub.snapshots.seek', 'temporary'],
    ['Pull', 'pubsub.subscriptions.consume', 'temporary'],
    ['DeleteSubscription', 'pubsub.subscriptions.delete', 'temporary'],
    ['DeleteSnapshot', 'pubsub.snapshots.delete', 'temporary'],
  ];

  /** The permissions `member` holds on a resource of kind `on`, from the emitted bindings (custom roles resolved). */
  function held(tf: Tf, member: string, on: Where): Set<string> {
    const roles = tf.resource.google_project_iam_custom_role ?? {};
    const permsOf = (role: string): string[] => {
      const m = /^\$\{google_project_iam_custom_role\.(\w+)\.name\}$/.exec(role);
      if (m) return roles[m[1]!]![0]!.permissions;
      // the predefined roles the plan grants on the group subscriptions (their relevant permission only)
      return role === 'roles/pubsub.subscriber' ? ['pubsub.subscriptions.consume'] : [];
    };
    const bound = (type: string, where: (b: Record<string, string>) => boolean) =>
      Object.values(tf.resource[type] ?? {})
        .map((b) => b[0]!)
        .filter((b) => where(b))
        .filter((b) =>
          typeof b.for_each === 'object' && !Array.isArray(b.for_each)
            ? Object.values(b.for_each).includes(member)
            : b.member === member,
        )
        .flatMap((b) => permsOf(b.role));
    const project = bound('google_project_iam_member', () => true);
    const out = new Set(project);
    if (on === 'topic')
      for (const p of bound('google_pubsub_topic_iam_member', (b) => b.topic === '${google_pubsub_topic.this.id}')) out.add(p);
    return out;
  }

  it('the worker holds every permission a lag reading needs, where Pub/Sub checks it, and nothing broader', async () => {
    const tf = await tfOf(workloads.clickstream);
    const worker = 'serviceAccount:${google_service_account.worker.email}';
    for (const [call, permission, on] of LAG_CALLS) {
      const has = on === 'group subscription' ? true : held(tf, worker, on).has(permission);
      expect(has, `${call} needs ${permission} on the ${on}`).toBe(true);
    }
    // consume on the group subscription comes from roles/pubsub.subscriber there (granted before lag existed)
    expect(tf.resource.google_pubsub_subscription_iam_member!.groups_worker![0]!.role).toBe('roles/pubsub.subscriber');
    const roles = tf.resource.google_project_iam_custom_role!;
    expect(roles.lag_scan![0]!).toMatchObject({
      role_id: 'speedlayer_clickstream_lag_scan',
      permissions: [...LAG_PROJECT_PERMISSIONS],
    });
    expect(roles.lag_attach![0]!.permissions).toEqual([...LAG_TOPIC_PERMISSIONS]);
    // IAM's limits hold for the longest workload name (32 characters): role id 64, title 100, description 256
    const long = (await tfOf({ ...workloads.clickstream, name: `c${'x'.repeat(30)}9` })).resource.google_project_iam_custom_role!;
    for (const r of [long.lag_scan![0]!, long.lag_attach![0]!]) {
      expect(r.role_id).toMatch(/^[a-zA-Z0-9_.]{3,64}$/);
      expect(Buffer.byteLength(r.title)).toBeLessThanOrEqual(100);
      expect(Buffer.byteLength(r.description)).toBeLessThanOrEqual(256);
    }
    // attachSubscription only on the workload's topic: not on the project, not on the dead-letter topic
    expect(held(tf, worker, 'project').has('pubsub.topics.attachSubscription')).toBe(false);
    expect(tf.resource.google_pubsub_topic_iam_member!.lag_attach![0]!.topic).toBe('${google_pubsub_topic.this.id}');
    const text = emit(workloads.clickstream)
      .files.map((f) => f.content)
      .join('\n');
    expect(text).not.toMatch(/roles\/pubsub\.(editor|admin)|roles\/(editor|owner)"/);
    expect(text).not.toMatch(/pubsub\.topics\.(create|delete|update|publish)|setIamPolicy/);
  });

  it('with an access block: each consuming principal gets the lag grants, a producer-only principal does not', async () => {
    const tf = await tfOf(orders);
    expect(tf.resource.google_project_iam_member!.lag_scan![0]!.for_each).toEqual({
      billing: 'serviceAccount:${google_service_account.principal_billing.email}',
      fraud: 'serviceAccount:${google_service_account.principal_fraud.email}',
    });
    expect(tf.resource.google_pubsub_topic_iam_member!.lag_attach![0]!.for_each).toEqual(
      tf.resource.google_project_iam_member!.lag_scan![0]!.for_each,
    );
    for (const member of ['serviceAccount:${google_service_account.principal_billing.email}']) {
      for (const [call, permission, on] of LAG_CALLS.filter(([, , on]) => on !== 'group subscription')) {
        expect(held(tf, member, on).has(permission), `${call} needs ${permission} on the ${on}`).toBe(true);
      }
    }
    const producer = 'serviceAccount:${google_service_account.principal_orders_api.email}';
    expect([...held(tf, producer, 'topic')].filter((p) => p !== 'pubsub.topics.publish')).toEqual([]);
  });

  it('targets.gcp-pubsub-gke.consumerLag: false leaves the lag grants out and says what stops working', async () => {
    const off = emit(withOptions(workloads.clickstream, { consumerLag: false }));
    const tf = (await parseTerraformFiles(off.files)) as Tf;
    expect(tf.resource.google_project_iam_custom_role).toBeUndefined();
    expect(tf.resource.google_project_iam_member!.lag_scan).toBeUndefined();
    expect(tf.resource.google_pubsub_topic_iam_member!.lag_attach).toBeUndefined();
    expect(held(tf, 'serviceAccount:${google_service_account.worker.email}', 'topic').size).toBe(0);
    expect(off.plan.capacity.consumerLagGrants).toBe(false);
    expect(off.plan.warnings.join('\n')).toMatch(/consumerLag: false: .*AuthError/);
    // alerts on lag series the workers never export would never fire: the rules leave them out, and say so
    const alerts = (files: readonly { path: string; content: string }[]) => {
      const rules = files.find((f) => f.path.endsWith('.rules.yaml'));
      if (!rules) throw new Error('no alert rules emitted');
      const doc = parse(rules.content) as { groups: Array<{ rules: Array<{ alert: string }> }> };
      return { text: rules.content, names: doc.groups.flatMap((g) => g.rules.map((r) => r.alert)) };
    };
    const offAlerts = alerts(off.files);
    expect(off.plan.lagMetrics).toBe(false);
    expect(offAlerts.names.filter((n) => n.includes('Lag'))).toEqual([]);
    expect(offAlerts.names).toContain('SpeedlayerHandlerFailureRateHigh');
    expect(offAlerts.text).toMatch(/# No consumer-lag alerts: the workers of this plan cannot read lag/);
    const on = emit(workloads.clickstream);
    expect(on.plan.lagMetrics).toBeUndefined();
    expect(alerts(on.files).names.filter((n) => n.includes('Lag'))).toHaveLength(4);
    expect(on.plan.capacity.consumerLagGrants).toBe(true);
    expect(on.plan.warnings.join('\n')).toMatch(/consumer lag re-delivers each group's backlog/);
    expect(() => emit(withOptions(workloads.clickstream, { consumerLag: 'no' }))).toThrow(/consumerLag/);
  });
});
