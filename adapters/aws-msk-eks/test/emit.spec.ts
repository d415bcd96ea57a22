// biome-ignore-all lint/suspicious/noTemplateCurlyInString: this file writes IaC text whose ${...} are HCL, CloudFormation or envsubst placeholders, not JS templates
import { fileURLToPath } from 'node:url';
import { parseCfnYaml } from '@speedlayer/iac';
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
import { mskEksTarget } from '../src/plan/index.js';

const workloads = PLANNER_WORKLOADS;
const emit = (w: object) => planOnTarget(mskEksTarget, w, { context: GOLDEN_EMIT_CONTEXT });

// biome-ignore lint/suspicious/noExplicitAny: parsed HCL/YAML is navigated freely in assertions
type Tf = { resource: Record<string, Record<string, Record<string, any>[]>> };

describe('aws-msk-eks/emit', () => {
  const { files } = emit(workloads.clickstream);
  const file = (p: string) => files.find((f) => f.path === p)!.content;

  it('emits an MSK cluster with TLS in transit and in-cluster, KMS at rest, IAM auth, open monitoring, 3 AZs', async () => {
    const tf = (await parseTerraformFiles(files)) as Tf;
    const msk = tf.resource.aws_msk_cluster!.this![0]!;
    expect(msk.number_of_broker_nodes % 3).toBe(0);
    expect(msk.encryption_info[0].encryption_in_transit).toEqual([{ client_broker: 'TLS', in_cluster: true }]);
    expect(msk.encryption_info[0].encryption_at_rest_kms_key_arn).toBe('${aws_kms_key.this.arn}');
    expect(msk.client_authentication).toEqual([{ unauthenticated: false, sasl: [{ iam: true }] }]);
    expect(msk.open_monitoring[0].prometheus[0].jmx_exporter).toEqual([{ enabled_in_broker: true }]);
    expect(msk.broker_node_group_info[0].connectivity_info[0].public_access).toEqual([{ type: 'DISABLED' }]);
    // MSK is private: the topic Job creates the topics, Terraform configures no kafka provider it could not reach.
    expect(tf.resource.kafka_topic).toBeUndefined();
    expect(JSON.stringify((tf as Tf & { provider: unknown }).provider)).not.toContain('kafka');
  });

  it('creates EKS with the VPC CNI network policy agent on, so the NetworkPolicies are enforced', async () => {
    const tf = (await parseTerraformFiles(files)) as Tf;
    const cni = tf.resource.aws_eks_addon!.vpc_cni![0]!;
    expect(cni.addon_name).toBe('vpc-cni');
    expect(String(cni.configuration_values)).toMatch(/enableNetworkPolicy\s*=\s*"true"/);
    const cfn = parseCfnYaml(file('cloudformation/stack.yaml'));
    expect(JSON.parse(String(cfn.Resources.VpcCniAddon!.Properties!.ConfigurationValues))).toEqual({
      enableNetworkPolicy: 'true',
    });
  });

  it('lets KEDA read lag: the worker role trusts the KEDA operator role, which may assume only it', async () => {
    const tf = (await parseTerraformFiles(files)) as Tf;
    const trust = String(tf.resource.aws_iam_role!.worker![0]!.assume_role_policy);
    expect(trust).toMatch(/AWS\s*=\s*aws_iam_role\.keda_operator\.arn/);
    expect(String(tf.resource.aws_iam_role!.keda_operator![0]!.assume_role_policy)).toContain(
      'system:serviceaccount:${var.keda_namespace}:keda-operator',
    );
    expect(String(tf.resource.aws_iam_role_policy!.keda_operator![0]!.policy)).toContain('local.worker_role_arn');
  });

  it('reaches STS for IRSA through an interface endpoint inside the VPC, the only 443 the workers may use', async () => {
    const tf = (await parseTerraformFiles(files)) as Tf;
    expect(tf.resource.aws_vpc_endpoint!.sts![0]).toMatchObject({
      service_name: 'com.amazonaws.${var.region}.sts',
      vpc_endpoint_type: 'Interface',
      private_dns_enabled: true,
    });
    expect(parseCfnYaml(file('cloudformation/stack.yaml')).Resources.StsEndpoint!.Properties).toMatchObject({
      PrivateDnsEnabled: true,
    });
  });

  it('emits a private EKS endpoint with control-plane logging and IRSA scoped to the cluster, topic and groups', async () => {
    const tf = (await parseTerraformFiles(files)) as Tf;
    const eks = tf.resource.aws_eks_cluster!.this![0]!;
    expect(eks.vpc_config[0]).toMatchObject({ endpoint_private_access: true, endpoint_public_access: false });
    expect(eks.enabled_cluster_log_types).toContain('audit');
    const trust = String(tf.resource.aws_iam_role!.worker![0]!.assume_role_policy);
    expect(trust).toContain('system:serviceaccount:clickstream:clickstream-worker');
    expect(trust).toContain('sts:AssumeRoleWithWebIdentity');
    const policy = String(tf.resource.aws_iam_role_policy!.worker![0]!.policy);
    expect(policy).toContain('kafka-cluster:ReadData');
    expect(policy).toContain('${local.topic_arn_prefix}/clickstream"');
    expect(policy).toContain('clickstream-g1');
    expect(policy).not.toMatch(/kafka-cluster:\*|CreateTopic/);
    // WriteData only on the dead-letter topic.
    const deadLetters = /Sid\s*=\s*"DeadLetters"[\s\S]*?Resource\s*=\s*\[([^\]]*)\]/.exec(policy)!;
    expect(deadLetters[0]).toContain('kafka-cluster:WriteData"');
    expect(deadLetters[1]).toContain('/clickstream.dlq');
    expect(policy.match(/kafka-cluster:WriteData"/g)).toHaveLength(1);
  });

  it('emits CloudFormation with the same MSK and EKS settings', () => {
    const t = parseCfnYaml(file('cloudformation/stack.yaml'));
    const msk = t.Resources.MskCluster!.Properties!;
    expect(msk.EncryptionInfo).toMatchObject({ EncryptionInTransit: { ClientBroker: 'TLS', InCluster: true } });
    expect(msk.ClientAuthentication).toEqual({ Sasl: { Iam: { Enabled: true } }, Unauthenticated: { Enabled: false } });
    expect(t.Resources.EksCluster!.Properties!.ResourcesVpcConfig).toMatchObject({
      EndpointPublicAccess: false,
      EndpointPrivateAccess: true,
    });
  });

  it('emits Kubernetes manifests that validate, with IRSA, KEDA Kafka (max = partitions) and the topic job', () => {
    // biome-ignore lint/suspicious/noExplicitAny: parsed HCL/YAML is navigated freely in assertions
    const objs = files.filter((f) => f.kind === 'kubernetes').flatMap((f) => parseK8sYaml(f.content)) as Record<string, any>[];
    expect(validateK8sSchemas(objs)).toEqual([]);
    const sa = objs.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === 'clickstream-worker')!;
    expect(sa.metadata.annotations['eks.amazonaws.com/role-arn']).toBe('${WORKER_ROLE_ARN}');
    const so = objs.filter((o) => o.kind === 'ScaledObject');
    expect(so.map((s) => s.spec.maxReplicaCount)).toEqual([80, 80]);
    expect(so[0]!.spec.triggers[0].metadata).toMatchObject({ sasl: 'aws_msk_iam', tls: 'enable', topic: 'clickstream' });
    const job = objs.find((o) => o.kind === 'Job')!;
    expect(job.spec.template.spec.containers.map((c: { args: string[] }) => c.args.slice(0, 3))).toEqual([
      ['topic', 'create', 'clickstream'],
      ['topic', 'create', 'clickstream.dlq'],
    ]);
    expect(job.spec.template.spec.containers[0].args).toEqual(expect.arrayContaining(['--partitions', '80']));
    // Dead letters are few: the dead-letter topic gets a handful of partitions, not the topic's 80.
    expect(job.spec.template.spec.containers[1].args).toEqual(expect.arrayContaining(['--partitions', '4']));
  });

  it('gives the topic Job a NetworkPolicy that allows DNS, the brokers and STS (default deny blocks the rest)', () => {
    // biome-ignore lint/suspicious/noExplicitAny: parsed YAML is navigated freely in assertions
    const objs = parseK8sYaml(file('kubernetes/05-topic-job.yaml')) as Record<string, any>[];
    const np = objs.find((o) => o.kind === 'NetworkPolicy')!;
    const job = objs.find((o) => o.kind === 'Job')!;
    expect(job.spec.template.metadata.labels).toMatchObject(np.spec.podSelector.matchLabels);
    expect(np.spec.egress[0].ports).toEqual([
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ]);
    expect(np.spec.egress.flatMap((r: { ports: { port: number }[] }) => r.ports.map((p) => p.port))).toEqual([53, 53, 9098, 443]);
    for (const c of job.spec.template.spec.containers) expect(c.image).toBe('ghcr.io/speedlayer/worker@${WORKER_IMAGE_DIGEST}');
    expect(JSON.stringify(objs)).not.toContain('checkov');
  });

  it('does not give MSK Serverless topics the broker settings it rejects (min.insync.replicas)', async () => {
    const serverless = planOnTarget(
      mskEksTarget,
      { ...workloads.small, targets: { 'aws-msk-eks': { mode: 'serverless' } } },
      { context: { generator: 'speedlayer', scope: 'workload' } },
    ).files;
    const tf = (await parseTerraformFiles(serverless)) as Tf;
    expect(Object.keys(tf.resource.kafka_topic!).sort()).toEqual(['dead_letter', 'this']);
    expect(tf.resource.kafka_topic!.dead_letter![0]!.name).toBe('small-feed.dlq');
    for (const t of Object.values(tf.resource.kafka_topic!))
      expect(t[0]!.config[0] ?? t[0]!.config).not.toHaveProperty('min.insync.replicas');
    const provisioned = (await parseTerraformFiles(emit(workloads.clickstream).files)) as Tf;
    expect(provisioned.resource.aws_msk_configuration!.this![0]!.server_properties).toContain('min.insync.replicas=2');
  });

  it('--scope workload: topics, identity and worker objects only, on an existing cluster', async () => {
    const w = planOnTarget(mskEksTarget, workloads.clickstream, {
      context: { generator: 'speedlayer', scope: 'workload' },
    }).files;
    expect(await platformResourcesIn(w)).toEqual([]);
    expect((await platformResourcesIn(files)).length).toBeGreaterThan(5);
    const tf = (await parseTerraformFiles(w)) as Tf;
    expect(tf.resource.kafka_topic!.dead_letter![0]!.name).toBe('clickstream.dlq');
    expect(Object.keys(tf.resource).sort()).toEqual(['aws_iam_role', 'aws_iam_role_policy', 'kafka_topic']);
    expect(w.map((f) => f.path)).toContain('kubernetes/10-worker.yaml');
  });

  it.each(Object.entries(workloads))('matches the golden files for %s', async (name, w) => {
    const dir = fileURLToPath(new URL(`./golden/${name}`, import.meta.url));
    expect(await checkGolden(dir, emit(w).files, process.env.UPDATE_GOLDEN === '1')).toEqual([]);
  });
});
