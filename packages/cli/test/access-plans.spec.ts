// biome-ignore-all lint/suspicious/noTemplateCurlyInString: this file reads IaC text whose ${...} are HCL placeholders, not JS templates
/**
 * Access as code on every target: a workload with an `access` block is planned on all targets, and each plan's IaC
 * grants every principal exactly what it needs (producers write the topic; consumers read it in their group and
 * publish dead letters) and nothing to anybody else.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { findSecretValues, parseCfnYaml } from '@speedlayer/iac';
import { parseK8sYaml, parseTerraformFiles } from '@speedlayer/iac/validate';
import { loadWorkload, type PlannedTarget, parseWorkload, planWorkload } from '@speedlayer/planner';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPlanTargets, PLAN_TARGET_IDS } from '../src/commands/plan-targets.js';

const workloadFile = fileURLToPath(new URL('../../../examples/workloads/orders-access.yaml', import.meta.url));

// biome-ignore lint/suspicious/noExplicitAny: parsed HCL is navigated freely in assertions
type Tf = { resource: Record<string, Record<string, Record<string, any>[]>>; output?: Record<string, any[]> };

/** A parsed jsonencode() policy: HCL JSON keeps it as `${jsonencode({...})}` text; compared without quotes. */
const policyText = (r: Record<string, unknown>) => String(r.policy ?? r.assume_role_policy).replace(/[\\"]/g, '');

describe('access as code on every target', () => {
  const byTarget: Record<string, { planned: PlannedTarget; tf: Tf }> = {};

  beforeAll(async () => {
    const w = await loadWorkload(workloadFile);
    const result = planWorkload(w, await loadPlanTargets(['all']), { context: { generator: 'speedlayer test' } });
    for (const planned of result.results) {
      byTarget[planned.plan.target] = { planned, tf: (await parseTerraformFiles(planned.files)) as Tf };
    }
  });

  it('plans the access workload feasibly on every target, consumers in their own groups', () => {
    expect(Object.keys(byTarget).sort()).toEqual([...PLAN_TARGET_IDS].sort());
    for (const [id, { planned }] of Object.entries(byTarget)) {
      expect(planned.plan.feasible, id).toBe(true);
      for (const f of planned.files) expect(findSecretValues(f.content), `${id} ${f.path}`).toEqual([]);
    }
  });

  it('aws-msk-eks: one IRSA role per principal with MSK IAM actions on the topic, the groups and the dead-letter topic', () => {
    const { tf } = byTarget['aws-msk-eks']!;
    const roles = tf.resource.aws_iam_role!;
    expect(
      Object.keys(roles)
        .filter((k) => k.startsWith('principal_'))
        .sort(),
    ).toEqual(['principal_billing', 'principal_fraud', 'principal_orders_api']);
    expect(policyText(roles.principal_billing![0]!)).toContain('system:serviceaccount:orders:billing');
    const api = policyText(tf.resource.aws_iam_role_policy!.principal_orders_api![0]!);
    expect(api).toContain('kafka-cluster:WriteData');
    expect(api).not.toContain('kafka-cluster:ReadData');
    expect(api).not.toContain('AlterGroup');
    const billing = policyText(tf.resource.aws_iam_role_policy!.principal_billing![0]!);
    expect(billing).toContain('kafka-cluster:ReadData');
    expect(billing).toContain('kafka-cluster:AlterGroup');
    expect(billing).toContain('/billing');
    expect(billing).not.toContain('/fraud-scoring');
    expect(billing).toContain('/orders.dlq');
  });

  it('aws-kinesis-ecs: one task role per principal: PutRecord(s) for producers, reads and their lease table for consumers', () => {
    const { tf } = byTarget['aws-kinesis-ecs']!;
    const api = policyText(tf.resource.aws_iam_role_policy!.principal_orders_api![0]!);
    expect(api).toContain('kinesis:PutRecords');
    expect(api).not.toContain('kinesis:GetRecords');
    expect(api).not.toContain('dynamodb:');
    const fraud = policyText(tf.resource.aws_iam_role_policy!.principal_fraud![0]!);
    expect(fraud).toContain('kinesis:GetShardIterator');
    expect(fraud).toContain('aws_dynamodb_table.lease[fraud-scoring].arn');
    expect(fraud).not.toContain('lease[billing]');
    expect(fraud).toContain('aws_kinesis_stream.dead_letter.arn');
  });

  it.each([
    ['aws-msk-eks', 'eks.amazonaws.com/role-arn', '${BILLING_ROLE_ARN}'],
    ['azure-eventhubs-aks', 'azure.workload.identity/client-id', '${BILLING_CLIENT_ID}'],
    ['gcp-pubsub-gke', 'iam.gke.io/gcp-service-account', '${BILLING_GSA_EMAIL}'],
  ])(
    '%s: each named group runs as its principal (own service account, the principal identity by placeholder)',
    (id, key, value) => {
      const worker = byTarget[id]!.planned.files.find((f) => f.path === 'kubernetes/10-worker.yaml')!;
      const objects = parseK8sYaml(worker.content);
      // biome-ignore lint/suspicious/noExplicitAny: parsed YAML
      const deps = objects.filter((o) => o.kind === 'Deployment') as any[];
      const sa = (name: string) => deps.find((d) => d.metadata.name === name).spec.template.spec.serviceAccountName;
      expect([sa('billing'), sa('fraud-scoring')]).toEqual(['billing', 'fraud']);
      // biome-ignore lint/suspicious/noExplicitAny: parsed YAML
      const billing = objects.find((o) => o.kind === 'ServiceAccount' && (o.metadata as any).name === 'billing') as any;
      expect(billing.metadata.annotations[key]).toBe(value);
      expect(objects.some((o) => o.kind === 'ServiceAccount' && (o.metadata as { name: string }).name === 'orders-api')).toBe(
        false,
      );
    },
  );

  it("aws-msk-eks: KEDA may assume the consumers' roles to read their lag, not the producer's", () => {
    const { tf } = byTarget['aws-msk-eks']!;
    expect(policyText(tf.resource.aws_iam_role!.principal_billing![0]!)).toContain('KedaReadsLag');
    expect(policyText(tf.resource.aws_iam_role!.principal_orders_api![0]!)).not.toContain('KedaReadsLag');
    const keda = policyText(tf.resource.aws_iam_role_policy!.keda_operator![0]!);
    expect(keda).toContain('role/orders-billing');
    expect(keda).not.toContain('role/orders-orders-api');
  });

  it('aws-msk-eks and aws-kinesis-ecs: the CloudFormation templates carry the same principal roles', () => {
    for (const id of ['aws-msk-eks', 'aws-kinesis-ecs']) {
      const cfn = byTarget[id]!.planned.files.find((f) => f.kind === 'cloudformation')!;
      const template = parseCfnYaml(cfn.content);
      const roles = Object.entries(template.Resources)
        .filter(([k, r]) => k.startsWith('Principal') && r.Type === 'AWS::IAM::Role')
        .map(([k]) => k)
        .sort();
      expect(roles, id).toEqual(['PrincipalBillingRole', 'PrincipalFraudRole', 'PrincipalOrdersApiRole']);
      const api = JSON.stringify(template.Resources.PrincipalOrdersApiRole!.Properties);
      expect(api, id).not.toMatch(/ReadData|GetRecords/);
      expect(api, id).toMatch(/WriteData|PutRecords/);
    }
  });

  it('azure-eventhubs-aks: a federated identity per principal, Data Sender / Data Receiver scoped to the hubs', () => {
    const { tf } = byTarget['azure-eventhubs-aks']!;
    const assignments = Object.entries(tf.resource.azurerm_role_assignment!)
      .filter(([k]) => k.startsWith('principal_'))
      .map(([k, v]) => `${k} ${v[0]!.role_definition_name} ${v[0]!.scope}`)
      .sort();
    expect(assignments).toEqual([
      'principal_billing_checkpoints Storage Blob Data Contributor ${azurerm_storage_container.checkpoints.id}',
      'principal_billing_dead_letter_send Azure Event Hubs Data Sender ${azurerm_eventhub.dead_letter.id}',
      'principal_billing_receive Azure Event Hubs Data Receiver ${azurerm_eventhub.this.id}',
      'principal_fraud_checkpoints Storage Blob Data Contributor ${azurerm_storage_container.checkpoints.id}',
      'principal_fraud_dead_letter_send Azure Event Hubs Data Sender ${azurerm_eventhub.dead_letter.id}',
      'principal_fraud_receive Azure Event Hubs Data Receiver ${azurerm_eventhub.this.id}',
      'principal_orders_api_send Azure Event Hubs Data Sender ${azurerm_eventhub.this.id}',
    ]);
    expect(tf.resource.azurerm_federated_identity_credential!.principal_fraud![0]!.subject).toBe(
      'system:serviceaccount:orders:fraud',
    );
    expect(tf.resource.azurerm_eventhub_consumer_group!.groups![0]!.for_each).toBe('${toset(["billing", "fraud-scoring"])}');
  });

  it("gcp-pubsub-gke: a service account per principal, publisher on the topic, subscriber on its group's subscription only", () => {
    const { tf } = byTarget['gcp-pubsub-gke']!;
    const topicMembers = Object.entries(tf.resource.google_pubsub_topic_iam_member!)
      .filter(([k]) => k.startsWith('principal_'))
      .map(([k, v]) => `${k} ${v[0]!.role} ${v[0]!.topic}`)
      .sort();
    expect(topicMembers).toEqual([
      'principal_billing_dead_letter_publisher roles/pubsub.publisher ${google_pubsub_topic.dead_letter.id}',
      'principal_fraud_dead_letter_publisher roles/pubsub.publisher ${google_pubsub_topic.dead_letter.id}',
      'principal_orders_api_publisher roles/pubsub.publisher ${google_pubsub_topic.this.id}',
    ]);
    const subscribers = Object.entries(tf.resource.google_pubsub_subscription_iam_member!)
      .filter(([k, v]) => k.startsWith('principal_') && v[0]!.role === 'roles/pubsub.subscriber')
      .map(([k, v]) => `${k} ${v[0]!.subscription}`)
      .sort();
    expect(subscribers).toEqual([
      'principal_billing_subscriber_billing ${google_pubsub_subscription.groups["billing"].name}',
      'principal_fraud_subscriber_fraud_scoring ${google_pubsub_subscription.groups["fraud-scoring"].name}',
    ]);
  });

  it('azure-kafka-aks: a KafkaUser per principal with the Kafka ACLs of the access block', () => {
    const { planned } = byTarget['azure-kafka-aks']!;
    const strimzi = planned.files.find((f) => f.path === 'kubernetes/07-strimzi.yaml')!;
    const users = parseK8sYaml(strimzi.content).filter((o) => o.kind === 'KafkaUser');
    expect(users.map((u) => (u.metadata as { name: string }).name)).toEqual(['billing', 'fraud', 'orders-api']);
  });

  it('azure-confluent-aks and gcp-confluent-gke: a service account, an API key and Kafka ACLs per principal', () => {
    for (const id of ['azure-confluent-aks', 'gcp-confluent-gke']) {
      const { tf } = byTarget[id]!;
      expect(Object.keys(tf.resource.confluent_api_key!).sort(), id).toEqual([
        'manager',
        'principal_billing',
        'principal_fraud',
        'principal_orders_api',
      ]);
      const fraudAcls = Object.values(tf.resource.confluent_kafka_acl!)
        .map((a) => a[0]!)
        .filter((a) => String(a.principal).includes('principal_fraud'))
        .map((a) => `${a.resource_type}:${a.resource_name} ${a.operation}`)
        .sort();
      expect(fraudAcls, id).toEqual([
        'GROUP:fraud-scoring READ',
        'TOPIC:orders DESCRIBE',
        'TOPIC:orders READ',
        'TOPIC:orders.dlq DESCRIBE',
        'TOPIC:orders.dlq WRITE',
      ]);
    }
  });
  it('when the access block names every group, no generic worker identity is emitted or granted anything', () => {
    const msk = byTarget['aws-msk-eks']!.tf;
    expect(msk.resource.aws_iam_role!.worker).toBeUndefined();
    expect(msk.resource.aws_iam_role_policy!.worker).toBeUndefined();
    expect(msk.output?.worker_role_arn).toBeUndefined();
    expect(policyText(msk.resource.aws_iam_role_policy!.keda_operator![0]!)).not.toContain('role/orders-worker');
    const kinesis = byTarget['aws-kinesis-ecs']!.tf;
    expect(kinesis.resource.aws_iam_role!.task).toBeUndefined();
    expect(kinesis.resource.aws_iam_role_policy!.task).toBeUndefined();
    expect(kinesis.output?.task_role_arn).toBeUndefined();
    const eh = byTarget['azure-eventhubs-aks']!.tf;
    expect(eh.resource.azurerm_user_assigned_identity!.worker).toBeUndefined();
    expect(Object.keys(eh.resource.azurerm_role_assignment!).filter((k) => k.startsWith('worker'))).toEqual([]);
    expect(eh.output?.worker_client_id).toBeUndefined();
    const gcp = byTarget['gcp-pubsub-gke']!.tf;
    expect(gcp.resource.google_service_account!.worker).toBeUndefined();
    const gcpWorkerMembers = [
      ...Object.keys(gcp.resource.google_pubsub_topic_iam_member!),
      ...Object.keys(gcp.resource.google_pubsub_subscription_iam_member!),
    ].filter((k) => k.includes('worker'));
    expect(gcpWorkerMembers).toEqual([]);
    expect(gcp.output?.worker_service_account_email).toBeUndefined();
    for (const id of ['aws-msk-eks', 'aws-kinesis-ecs']) {
      const cfn = parseCfnYaml(byTarget[id]!.planned.files.find((f) => f.kind === 'cloudformation')!.content);
      expect(
        Object.keys(cfn.Resources).filter((k) => k === 'WorkerRole' || k === 'TaskRole'),
        id,
      ).toEqual([]);
      expect(JSON.stringify(cfn), id).not.toContain('role/orders-worker');
    }
    for (const id of ['aws-msk-eks', 'azure-eventhubs-aks', 'gcp-pubsub-gke', 'aws-kinesis-ecs']) {
      for (const f of byTarget[id]!.planned.files)
        expect(f.content, `${id} ${f.path}`).not.toMatch(/\$\{(WORKER_(ROLE_ARN|CLIENT_ID|GSA_EMAIL)|TASK_ROLE_ARN)\}/);
      const worker = byTarget[id]!.planned.files.find((f) => f.path === 'kubernetes/10-worker.yaml');
      if (!worker) continue;
      const accounts = parseK8sYaml(worker.content)
        .filter((o) => o.kind === 'ServiceAccount')
        .map((o) => (o.metadata as { name: string }).name);
      expect(accounts, id).toEqual(['billing', 'fraud']);
    }
  });

  it("aws-kinesis-ecs: each named group's ECS service runs as its principal's task role", () => {
    const { planned, tf } = byTarget['aws-kinesis-ecs']!;
    const td = (g: string) =>
      JSON.parse(planned.files.find((f) => f.path === `ecs/${g}.task-definition.json`)!.content) as { taskRoleArn: string };
    expect([td('billing').taskRoleArn, td('fraud-scoring').taskRoleArn]).toEqual(['${BILLING_ROLE_ARN}', '${FRAUD_ROLE_ARN}']);
    const roleExpr = String(tf.resource.aws_ecs_task_definition!.worker![0]!.task_role_arn);
    expect(roleExpr).toContain('"billing" = aws_iam_role.principal_billing.arn');
    expect(roleExpr).toContain('"fraud-scoring" = aws_iam_role.principal_fraud.arn');
    expect(roleExpr).toContain('[each.key]');
    const cfn = parseCfnYaml(planned.files.find((f) => f.kind === 'cloudformation')!.content);
    const cfnRole = (r: string) => (cfn.Resources[r]!.Properties as { TaskRoleArn: unknown }).TaskRoleArn;
    expect(cfnRole('TaskDefinitionBilling')).toEqual({ 'Fn::GetAtt': ['PrincipalBillingRole', 'Arn'] });
    expect(cfnRole('TaskDefinitionFraudScoring')).toEqual({ 'Fn::GetAtt': ['PrincipalFraudRole', 'Arn'] });
    // The consumer principal's role now runs the worker: it may put the worker's metrics, nothing wider.
    expect(policyText(tf.resource.aws_iam_role_policy!.principal_fraud![0]!)).toContain('cloudwatch:PutMetricData');
    expect(policyText(tf.resource.aws_iam_role_policy!.principal_orders_api![0]!)).not.toContain('cloudwatch:');
  });

  it('a group the access block does not name keeps the generic worker, granted that group only', async () => {
    const text = `${readFileSync(workloadFile, 'utf8')}consumerGroups: 3\n`;
    const w = parseWorkload(text, 'orders-access+1.yaml');
    const result = planWorkload(
      w,
      await loadPlanTargets(['aws-msk-eks', 'aws-kinesis-ecs', 'azure-eventhubs-aks', 'gcp-pubsub-gke']),
      {
        context: { generator: 'speedlayer test' },
      },
    );
    const by = Object.fromEntries(result.results.map((r) => [r.plan.target, r]));
    const kinesis = by['aws-kinesis-ecs']!;
    const td = kinesis.files.filter((f) => f.path.endsWith('.task-definition.json')).map((f) => f.path);
    expect(td).toHaveLength(3);
    const other = td
      .map((p) => p.slice('ecs/'.length, -'.task-definition.json'.length))
      .find((g) => g !== 'billing' && g !== 'fraud-scoring')!;
    const otherTd = JSON.parse(kinesis.files.find((f) => f.path === `ecs/${other}.task-definition.json`)!.content);
    expect(otherTd.taskRoleArn).toBe('${TASK_ROLE_ARN}');
    const ktf = (await parseTerraformFiles(kinesis.files)) as Tf;
    const task = policyText(ktf.resource.aws_iam_role_policy!.task![0]!);
    expect(task).toContain(`aws_dynamodb_table.lease[${other}].arn`);
    expect(task).not.toContain('lease[billing]');
    expect(task).not.toContain('lease[fraud-scoring]');
    const mtf = (await parseTerraformFiles(by['aws-msk-eks']!.files)) as Tf;
    const worker = policyText(mtf.resource.aws_iam_role_policy!.worker![0]!);
    expect(worker).toContain(`/${other}`);
    expect(worker).not.toContain('/billing');
    expect(worker).not.toContain('/fraud-scoring');
    const gtf = (await parseTerraformFiles(by['gcp-pubsub-gke']!.files)) as Tf;
    expect(gtf.resource.google_pubsub_subscription_iam_member!.groups_worker![0]!.for_each).toBe(`\${toset(["${other}"])}`);
    const etf = (await parseTerraformFiles(by['azure-eventhubs-aks']!.files)) as Tf;
    expect(etf.resource.azurerm_user_assigned_identity!.worker).toBeDefined();
  });
});
