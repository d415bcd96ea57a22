// biome-ignore-all lint/suspicious/noTemplateCurlyInString: this file reads IaC text whose ${...} are HCL or envsubst placeholders, not JS templates
import { findSecretValues } from '@speedlayer/iac';
import { parseK8sYaml, parseTerraformFiles, validateK8sSchemas } from '@speedlayer/iac/validate';
import { deriveLoad, planOnTarget, validateWorkload } from '@speedlayer/planner';
import { GOLDEN_EMIT_CONTEXT, PLANNER_WORKLOADS } from '@speedlayer/testing';
import { describe, expect, it } from 'vitest';
import { BROKER_VMS, brokerLayout, kafkaAksTarget, STRIMZI_VERSION, strimziResources } from '../src/plan/index.js';

const orders = {
  name: 'orders',
  ingress: { recordsPerSecond: 2000, avgRecordBytes: 1024, peakFactor: 2 },
  processing: { msPerRecord: 2 },
  retentionHours: 72,
  access: {
    producers: [{ principal: 'orders-api' }],
    consumers: [{ principal: 'billing', group: 'billing' }],
  },
};

const emit = (w: object, scope: 'full' | 'workload' = 'full') =>
  planOnTarget(kafkaAksTarget, w, { context: { ...GOLDEN_EMIT_CONTEXT, scope } });
const objectsOf = (files: readonly { path: string; content: string }[]) =>
  files
    .filter((f) => f.path.startsWith('kubernetes/') && !f.path.includes('/alternatives/'))
    .flatMap((f) => parseK8sYaml(f.content));
const ofKind = (objects: Record<string, unknown>[], kind: string) =>
  // biome-ignore lint/suspicious/noExplicitAny: parsed YAML is navigated freely in assertions
  objects.filter((o) => o.kind === kind) as any[];

// biome-ignore lint/suspicious/noExplicitAny: parsed HCL is navigated freely in assertions
type Tf = { resource: Record<string, Record<string, Record<string, any>[]>> };

describe('azure-kafka-aks/emit', () => {
  const { files, plan } = emit(orders);
  const objects = objectsOf(files);

  it('every Kubernetes object, Strimzi resources included, validates against the published schemas', () => {
    expect(ofKind(objects, 'Kafka')).toHaveLength(1);
    expect(validateK8sSchemas(objects)).toEqual([]);
  });

  it('the schema check rejects a Strimzi resource the CRD does not allow (a validator that cannot fail proves nothing)', () => {
    const user = structuredClone(ofKind(objects, 'KafkaUser')[0]);
    user.spec.authorization.acls[0].operations = ['Fly'];
    const pool = structuredClone(ofKind(objects, 'KafkaNodePool')[0]);
    pool.spec.replicas = 'three';
    const problems = validateK8sSchemas([user, pool]);
    expect(problems.map((p) => p.object).sort()).toEqual([
      `KafkaNodePool/${pool.metadata.name}`,
      `KafkaUser/${user.metadata.name}`,
    ]);
    // Each message names the field and what the Strimzi 1.2.0 CRD allows there.
    const message = (o: string) => problems.find((p) => p.object === o)?.message;
    expect(message(`KafkaUser/${user.metadata.name}`)).toMatch(
      /^spec\.authorization\.acls\[0\]\.operations\[0\]: must be one of "Read", "Write", .*"All"$/,
    );
    expect(message(`KafkaNodePool/${pool.metadata.name}`)).toBe('spec.replicas: must be integer');
  });

  it('the schema check rejects unknown fields, missing required fields and bad names as a strict server-side apply would', () => {
    const topic = structuredClone(ofKind(objects, 'KafkaTopic')[0]);
    topic.spec.partiton = 3;
    const kafka = structuredClone(ofKind(objects, 'Kafka')[0]);
    delete kafka.spec.kafka.listeners;
    const user = structuredClone(ofKind(objects, 'KafkaUser')[0]);
    user.metadata.name = 'Billing_Team';
    expect(validateK8sSchemas([topic, kafka, user])).toEqual([
      { object: `KafkaTopic/${topic.metadata.name}`, message: 'spec.partiton: unknown field' },
      { object: `Kafka/${kafka.metadata.name}`, message: 'spec.kafka.listeners: required field missing' },
      { object: 'KafkaUser/Billing_Team', message: expect.stringMatching(/^metadata\.name: must match pattern /) },
    ]);
    // Open maps stay open: broker and topic config are x-kubernetes-preserve-unknown-fields in the CRDs.
    const open = structuredClone(ofKind(objects, 'KafkaTopic')[0]);
    open.spec.config['any.future.topic.setting'] = 'x';
    expect(validateK8sSchemas([open])).toEqual([]);
  });

  it('runs KRaft with a TLS listener authenticated by SCRAM-SHA-512, simple authorization and racks by zone', () => {
    const kafka = ofKind(objects, 'Kafka')[0];
    expect(kafka.apiVersion).toBe('kafka.strimzi.io/v1');
    expect(kafka.spec.kafka.listeners).toEqual([
      expect.objectContaining({
        name: 'tls',
        port: 9093,
        type: 'internal',
        tls: true,
        authentication: { type: 'scram-sha-512' },
      }),
    ]);
    expect(kafka.spec.kafka.authorization).toEqual({ type: 'simple' });
    expect(kafka.spec.kafka.rack).toEqual({ topologyKey: 'topology.kubernetes.io/zone' });
    expect(kafka.spec.kafka.config['auto.create.topics.enable']).toBe(false);
    expect(kafka.spec.entityOperator).toEqual({ topicOperator: {}, userOperator: {} });
  });

  it('sizes the node pools from the plan: three controllers, brokers split evenly over one pool per zone', () => {
    const pools = ofKind(objects, 'KafkaNodePool');
    const controller = pools.find((p) => p.metadata.name === 'controller');
    expect(controller.spec).toMatchObject({ replicas: 3, roles: ['controller'] });
    const brokers = pools.filter((p) => p.spec.roles.includes('broker'));
    expect(brokers.map((p) => p.metadata.name)).toEqual(['broker-z1', 'broker-z2', 'broker-z3']);
    expect(brokers.reduce((n, p) => n + p.spec.replicas, 0)).toBe(plan.capacity.brokers);
    const zones = brokers.map(
      (p) =>
        p.spec.template.pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]
          .matchExpressions[1].values[0],
    );
    expect(zones).toEqual(['eastus-1', 'eastus-2', 'eastus-3']);
    for (const p of brokers) expect(p.spec.storage.volumes[0].size).toBe(`${plan.capacity.storageGiBPerBroker}Gi`);
  });

  it('creates the topic (planned partitions, replication 3, retention) and its dead-letter topic <topic>.dlq', () => {
    const topics = ofKind(objects, 'KafkaTopic');
    expect(topics.map((t) => t.spec.topicName)).toEqual(['orders', 'orders.dlq']);
    expect(topics[0].spec).toMatchObject({
      partitions: plan.partitions,
      replicas: 3,
      config: { 'retention.ms': 72 * 3_600_000 },
    });
    for (const t of topics) expect(t.metadata.labels['strimzi.io/cluster']).toBe('orders');
  });

  it('turns the access block into KafkaUsers with least-privilege ACLs, and nobody else gets a user', () => {
    const users = ofKind(objects, 'KafkaUser');
    expect(users.map((u) => u.metadata.name)).toEqual(['billing', 'orders-api']);
    const acls = Object.fromEntries(
      users.map((u) => [
        u.metadata.name,
        u.spec.authorization.acls.map(
          (a: { resource: { type: string; name: string }; operations: string[] }) =>
            `${a.resource.type}:${a.resource.name} ${a.operations.join('+')}`,
        ),
      ]),
    );
    expect(acls).toEqual({
      'orders-api': ['topic:orders Write+Describe'],
      billing: ['group:billing Read', 'topic:orders Read+Describe', 'topic:orders.dlq Write+Describe'],
    });
    for (const u of users) expect(u.spec.authentication).toEqual({ type: 'scram-sha-512' });
  });

  it('runs each group as its consumer principal: SCRAM over TLS, password and CA as mounted files, no secret in env', () => {
    const [dep] = ofKind(objects, 'Deployment');
    const c = dep.spec.template.spec.containers[0];
    const env = Object.fromEntries(c.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
    expect(env.SPEEDLAYER_STREAM).toBe(
      'kafka://orders-kafka-bootstrap.orders.svc:9093?tls=true&caFile=/etc/kafka-ca/ca.crt&sasl=scram-sha-512&username=billing&password=file:/etc/kafka-user/password',
    );
    expect(c.env.some((e: { valueFrom?: { secretKeyRef?: unknown } }) => e.valueFrom?.secretKeyRef)).toBe(false);
    expect(dep.spec.template.spec.volumes).toEqual(
      expect.arrayContaining([
        { name: 'kafka-user', secret: { secretName: 'billing', items: [{ key: 'password', path: 'password' }] } },
      ]),
    );
  });

  it('scales with a KEDA Kafka trigger authenticated as the group principal, max replicas = partitions', () => {
    const [so] = ofKind(objects, 'ScaledObject');
    expect(so.spec.maxReplicaCount).toBe(plan.partitions);
    expect(so.spec.triggers[0]).toMatchObject({
      type: 'kafka',
      metadata: { consumerGroup: 'billing', topic: 'orders', sasl: 'scram_sha512', tls: 'enable' },
      authenticationRef: { name: 'billing-kafka' },
    });
    const auth = ofKind(objects, 'TriggerAuthentication').find((a) => a.metadata.name === 'billing-kafka');
    expect(auth.spec.secretTargetRef).toContainEqual({ parameter: 'password', name: 'billing', key: 'password' });
  });

  it('emits the AKS cluster, the Kafka and KRaft node pools and the Strimzi operator as a pinned Helm release', async () => {
    const tf = (await parseTerraformFiles(files)) as Tf;
    expect(tf.resource.azurerm_kubernetes_cluster!.this![0]).toMatchObject({
      private_cluster_enabled: true,
      local_account_disabled: true,
    });
    expect(tf.resource.azurerm_kubernetes_cluster_node_pool!.kafka![0]).toMatchObject({
      vm_size: plan.capacity.brokerVm,
      node_count: plan.capacity.brokers,
      node_taints: ['dedicated=kafka:NoSchedule'],
    });
    expect(tf.resource.azurerm_kubernetes_cluster_node_pool!.kraft![0]).toMatchObject({ node_count: 3 });
    expect(tf.resource.helm_release!.strimzi![0]).toMatchObject({
      chart: 'strimzi-kafka-operator',
      repository: 'https://strimzi.io/charts/',
      version: STRIMZI_VERSION,
    });
  });

  it('writes no secret value and is byte-identical when planned again', () => {
    for (const f of files) expect(findSecretValues(f.content), f.path).toEqual([]);
    expect(emit(orders).files).toEqual(files);
  });

  it('without an access block, grants the deployed groups to the workload worker user only', () => {
    const objs = objectsOf(emit(PLANNER_WORKLOADS.clickstream).files);
    const users = ofKind(objs, 'KafkaUser');
    expect(users.map((u) => u.metadata.name)).toEqual(['clickstream-worker']);
    const groups = users[0].spec.authorization.acls.filter((a: { resource: { type: string } }) => a.resource.type === 'group');
    expect(groups.map((a: { resource: { name: string } }) => a.resource.name)).toEqual(['clickstream-g1', 'clickstream-g2']);
  });

  it('--scope workload emits only the topics, users and workers (no Kafka cluster, node pools or Terraform)', () => {
    const { files: wf } = emit(orders, 'workload');
    expect(wf.some((f) => f.path.startsWith('terraform/'))).toBe(false);
    const kinds = new Set(objectsOf(wf).map((o) => String(o.kind)));
    expect(kinds.has('Kafka') || kinds.has('KafkaNodePool') || kinds.has('Namespace') || kinds.has('StorageClass')).toBe(false);
    expect(kinds.has('KafkaTopic') && kinds.has('KafkaUser') && kinds.has('Deployment')).toBe(true);
  });

  it('strimziResources gives the same custom resources as the emitted file', () => {
    const w = validateWorkload(orders);
    const fromFile = objects.filter((o) => String(o.apiVersion).startsWith('kafka.strimzi.io/'));
    expect(strimziResources(plan, { workload: w, load: deriveLoad(w) })).toEqual(fromFile);
  });
});

describe('azure-kafka-aks/sizing', () => {
  it('needs more brokers for more write IO, in multiples of the three zones', () => {
    const vm = BROKER_VMS[0]!;
    const small = brokerLayout(vm, { peakBytesPerSec: 1e6, partitions: 6, retainedBytes: 1e9, rf: 3 });
    const big = brokerLayout(vm, { peakBytesPerSec: 400e6, partitions: 6, retainedBytes: 1e9, rf: 3 });
    expect(small.brokers).toBe(3);
    expect(big.byIo).toBe(Math.ceil((400e6 * 3) / vm.diskBytesPerSec));
    expect(big.brokers % 3).toBe(0);
    expect(big.brokers).toBeGreaterThanOrEqual(big.byIo);
  });

  it('plans the clickstream example with partitions >= processing replicas and a sourced price on every cost line', () => {
    const { plan } = planOnTarget(kafkaAksTarget, PLANNER_WORKLOADS.clickstream, { emit: false });
    expect(plan.feasible).toBe(true);
    expect(plan.partitions).toBeGreaterThanOrEqual(80);
    expect(plan.replicas.max).toBe(plan.partitions);
    for (const c of plan.cost) expect(c.price.source).toMatch(/^https:\/\//);
  });

  it('blocks a record larger than a Kafka request can carry, naming the field', () => {
    const { plan } = planOnTarget(kafkaAksTarget, { ...orders, maxRecordBytes: 200 * 1024 * 1024 }, { emit: false });
    expect(plan.feasible).toBe(false);
    expect(plan.blockers.map((b) => b.field)).toEqual(['maxRecordBytes']);
  });
});
