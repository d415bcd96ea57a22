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
import { eventHubsAksTarget } from '../src/plan/index.js';

const workloads = PLANNER_WORKLOADS;
const emit = (w: object) => planOnTarget(eventHubsAksTarget, w, { context: GOLDEN_EMIT_CONTEXT });

// biome-ignore lint/suspicious/noExplicitAny: parsed HCL/YAML is navigated freely in assertions
type Tf = { resource: Record<string, Record<string, Record<string, any>[]>> };

describe('azure-eventhubs-aks/emit', () => {
  const { files, plan } = emit(workloads.small);
  const file = (p: string) => files.find((f) => f.path === p)!.content;

  it('emits a namespace with TLS 1.2 minimum, local auth off, no public access, a CMK and a private endpoint', async () => {
    const tf = (await parseTerraformFiles(files)) as Tf;
    const ns = tf.resource.azurerm_eventhub_namespace!.this![0]!;
    expect(ns).toMatchObject({
      sku: 'Premium',
      minimum_tls_version: '1.2',
      local_authentication_enabled: false,
      public_network_access_enabled: false,
    });
    expect(tf.resource.azurerm_eventhub_namespace_customer_managed_key!.this).toBeDefined();
    expect(tf.resource.azurerm_private_endpoint!.eventhubs![0]!.private_service_connection[0].subresource_names).toEqual([
      'namespace',
    ]);
    expect(tf.resource.azurerm_eventhub!.this![0]).toMatchObject({ partition_count: plan.partitions, message_retention: 1 });
    expect(tf.resource.azurerm_eventhub_consumer_group!.groups![0]!.for_each).toBe('${toset(["small-feed-g1"])}');
  });

  it('provisions the dead-letter hub <hub>.dlq and lets the worker publish to it and read it back', async () => {
    const tf = (await parseTerraformFiles(files)) as Tf;
    expect(tf.resource.azurerm_eventhub!.dead_letter![0]).toMatchObject({ name: 'small-feed.dlq' });
    const roles = Object.values(tf.resource.azurerm_role_assignment!)
      .map((r) => r[0]!)
      .filter((r) => r.scope === '${azurerm_eventhub.dead_letter.id}' && String(r.principal_id).includes('worker'))
      .map((r) => r.role_definition_name);
    expect(roles.sort()).toEqual(['Azure Event Hubs Data Receiver', 'Azure Event Hubs Data Sender']);
  });

  it("gives KEDA's identity read access to the hub and the checkpoints, and lets workers reach the Entra ID token endpoint", async () => {
    const tf = (await parseTerraformFiles(files)) as Tf;
    expect(tf.resource.azurerm_federated_identity_credential!.keda![0]!.subject).toBe(
      'system:serviceaccount:${var.keda_namespace}:keda-operator',
    );
    expect(tf.resource.azurerm_role_assignment!.keda_eventhub![0]).toMatchObject({
      scope: '${azurerm_eventhub.this.id}',
      principal_id: '${azurerm_user_assigned_identity.keda.principal_id}',
    });
    expect(tf.resource.azurerm_role_assignment!.keda_checkpoints![0]!.role_definition_name).toBe('Storage Blob Data Reader');
    // biome-ignore lint/suspicious/noExplicitAny: parsed HCL is navigated freely in assertions
    const versions = (tf as Tf & { terraform: any[] }).terraform[0].required_providers[0];
    expect(String(versions.azurerm.version)).toBe('>= 4.42.0');
    // biome-ignore lint/suspicious/noExplicitAny: parsed YAML is navigated freely in assertions
    const np = (parseK8sYaml(file('kubernetes/10-worker.yaml')) as Record<string, any>[]).find(
      (o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'small-feed-worker',
    )!;
    expect(np.spec.egress).toContainEqual({
      to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] } }],
      ports: [{ protocol: 'TCP', port: 443 }],
    });
  });

  it('--scope workload: hubs, consumer groups, identities and grants in an existing namespace and cluster', async () => {
    const w = planOnTarget(eventHubsAksTarget, workloads.small, {
      context: { generator: 'speedlayer', scope: 'workload' },
    }).files;
    expect(await platformResourcesIn(w)).toEqual([]);
    expect((await platformResourcesIn(files)).length).toBeGreaterThan(5);
    const tf = (await parseTerraformFiles(w)) as Tf;
    expect(tf.resource.azurerm_eventhub!.this![0]!.namespace_id).toBe('${var.eventhub_namespace_id}');
    expect(tf.resource.azurerm_role_assignment!.keda_eventhub![0]!.principal_id).toBe('${var.keda_principal_id}');
    expect(tf.resource.azurerm_storage_container!.checkpoints![0]!.name).toBe('smallfeed-checkpoints');
    expect(w.find((f) => f.path === 'kubernetes/10-worker.yaml')!.content).toContain(
      'blob.core.windows.net/smallfeed-checkpoints',
    );
  });

  it('emits a checkpoint store without shared keys or public access, encrypted with the CMK', async () => {
    const tf = (await parseTerraformFiles(files)) as Tf;
    const sa = tf.resource.azurerm_storage_account!.checkpoints![0]!;
    expect(sa).toMatchObject({
      shared_access_key_enabled: false,
      public_network_access_enabled: false,
      min_tls_version: 'TLS1_2',
    });
    expect(sa.customer_managed_key).toHaveLength(1);
  });

  it('emits AKS with a private API, workload identity, network policy, Azure RBAC and audit logs', async () => {
    const tf = (await parseTerraformFiles(files)) as Tf;
    const aks = tf.resource.azurerm_kubernetes_cluster!.this![0]!;
    expect(aks).toMatchObject({
      private_cluster_enabled: true,
      oidc_issuer_enabled: true,
      workload_identity_enabled: true,
      local_account_disabled: true,
    });
    expect(aks.network_profile[0].network_policy).toBe('azure');
    const diag = tf.resource.azurerm_monitor_diagnostic_setting!.aks![0]!;
    expect(diag.enabled_log.map((l: { category: string }) => l.category)).toContain('kube-audit');
    expect(tf.resource.azurerm_role_assignment!.worker_eventhub![0]).toMatchObject({
      scope: '${azurerm_eventhub.this.id}',
      role_definition_name: 'Azure Event Hubs Data Receiver',
    });
    expect(tf.resource.azurerm_federated_identity_credential!.worker![0]!.subject).toBe(
      'system:serviceaccount:small-feed:small-feed-worker',
    );
  });

  it('emits Kubernetes manifests with Azure workload identity and the Event Hubs KEDA scaler', () => {
    // biome-ignore lint/suspicious/noExplicitAny: parsed HCL/YAML is navigated freely in assertions
    const objs = files.filter((f) => f.kind === 'kubernetes').flatMap((f) => parseK8sYaml(f.content)) as Record<string, any>[];
    expect(validateK8sSchemas(objs)).toEqual([]);
    const dep = objs.find((o) => o.kind === 'Deployment')!;
    expect(dep.spec.template.metadata.labels['azure.workload.identity/use']).toBe('true');
    const so = objs.find((o) => o.kind === 'ScaledObject')!;
    expect(so.spec.triggers[0]).toMatchObject({ type: 'azure-eventhub', metadata: { checkpointStrategy: 'blobMetadata' } });
    expect(so.spec.maxReplicaCount).toBe(plan.partitions);
  });

  it.each(Object.entries(workloads))('matches the golden files for %s', async (name, w) => {
    const dir = fileURLToPath(new URL(`./golden/${name}`, import.meta.url));
    expect(await checkGolden(dir, emit(w).files, process.env.UPDATE_GOLDEN === '1')).toEqual([]);
  });
});
