// biome-ignore-all lint/suspicious/noTemplateCurlyInString: this file writes IaC text whose ${...} are HCL, CloudFormation or envsubst placeholders, not JS templates
import { fileURLToPath } from 'node:url';
import { parseCfnYaml } from '@speedlayer/iac';
import { checkGolden, parseHcl, parseK8sYaml, validateK8sSchemas } from '@speedlayer/iac/validate';
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
    const tf = (await parseHcl('main.tf', file('terraform/main.tf'))) as Tf;
    const msk = tf.resource.aws_msk_cluster!.this![0]!;
    expect(msk.number_of_broker_nodes % 3).toBe(0);
    expect(msk.encryption_info[0].encryption_in_transit).toEqual([{ client_broker: 'TLS', in_cluster: true }]);
    expect(msk.encryption_info[0].encryption_at_rest_kms_key_arn).toBe('${aws_kms_key.this.arn}');
    expect(msk.client_authentication).toEqual([{ unauthenticated: false, sasl: [{ iam: true }] }]);
    expect(msk.open_monitoring[0].prometheus[0].jmx_exporter).toEqual([{ enabled_in_broker: true }]);
    expect(msk.broker_node_group_info[0].connectivity_info[0].public_access).toEqual([{ type: 'DISABLED' }]);
    expect(tf.resource.kafka_topic!.this![0]).toMatchObject({ name: 'clickstream', partitions: 80, replication_factor: 3 });
  });

  it('emits a private EKS endpoint with control-plane logging and IRSA scoped to the cluster, topic and groups', async () => {
    const tf = (await parseHcl('main.tf', file('terraform/main.tf'))) as Tf;
    const eks = tf.resource.aws_eks_cluster!.this![0]!;
    expect(eks.vpc_config[0]).toMatchObject({ endpoint_private_access: true, endpoint_public_access: false });
    expect(eks.enabled_cluster_log_types).toContain('audit');
    const trust = String(tf.resource.aws_iam_role!.worker![0]!.assume_role_policy);
    expect(trust).toContain('system:serviceaccount:clickstream:clickstream-worker');
    expect(trust).toContain('sts:AssumeRoleWithWebIdentity');
    const policy = String(tf.resource.aws_iam_role_policy!.worker![0]!.policy);
    expect(policy).toContain('kafka-cluster:ReadData');
    expect(policy).toContain('local.topic_arn');
    expect(policy).toContain('clickstream-g1');
    expect(policy).not.toMatch(/kafka-cluster:\*|WriteData|CreateTopic/);
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
    expect(so[0].spec.triggers[0].metadata).toMatchObject({ sasl: 'aws_msk_iam', tls: 'enable', topic: 'clickstream' });
    const job = objs.find((o) => o.kind === 'Job')!;
    expect(job.spec.template.spec.containers[0].args).toEqual(
      expect.arrayContaining(['topic', 'create', 'clickstream', '--partitions', '80']),
    );
  });

  it.each(Object.entries(workloads))('matches the golden files for %s', async (name, w) => {
    const dir = fileURLToPath(new URL(`./golden/${name}`, import.meta.url));
    expect(await checkGolden(dir, emit(w).files, process.env.UPDATE_GOLDEN === '1')).toEqual([]);
  });
});
