/**
 * The Strimzi resources of a plan against Strimzi's published CRDs on a real kube-apiserver: server-side dry run with
 * strict field validation, so an unknown field is refused instead of pruned.
 */
import { kubeServerDryRun, parseK8sYaml, STRIMZI_CRDS_VERSION, strimziCrds } from '@speedlayer/iac/validate';
import { planOnTarget } from '@speedlayer/planner';
import { GOLDEN_EMIT_CONTEXT } from '@speedlayer/testing';
import { injectPeers } from '@speedlayer/testing/peers/vitest';
import { describe, expect, it } from 'vitest';
import { kafkaAksTarget, STRIMZI_VERSION } from '../src/plan/index.js';

const kube = injectPeers().kubernetes;
const workload = {
  name: 'orders',
  ingress: { recordsPerSecond: 2000, avgRecordBytes: 1024, peakFactor: 2 },
  processing: { msPerRecord: 2 },
  retentionHours: 72,
  access: { producers: [{ principal: 'orders-api' }], consumers: [{ principal: 'billing', group: 'billing' }] },
};

/** The plan's platform and Strimzi objects, moved into a namespace of this run. */
function strimziObjects(ns: string): Record<string, unknown>[] {
  const { files } = planOnTarget(kafkaAksTarget, workload, { context: GOLDEN_EMIT_CONTEXT });
  const wanted = ['kubernetes/00-namespace.yaml', 'kubernetes/05-kafka-platform.yaml', 'kubernetes/07-strimzi.yaml'];
  return files
    .filter((f) => wanted.includes(f.path))
    .flatMap((f) => parseK8sYaml(f.content))
    .map((o) => {
      const meta = o.metadata as { name: string; namespace?: string };
      if (o.kind === 'Namespace') return { ...o, metadata: { ...meta, name: ns } };
      return meta.namespace ? { ...o, metadata: { ...meta, namespace: ns } } : o;
    });
}

describe('azure-kafka-aks Strimzi resources on a real API server', () => {
  it('the emitted operator release and the CRDs used here are the same Strimzi version', () => {
    expect(STRIMZI_VERSION).toBe(STRIMZI_CRDS_VERSION);
  });

  it('Kafka, KafkaNodePools, KafkaTopics and KafkaUsers pass a strict server-side dry run against the release CRDs', async () => {
    expect(kube, 'the kubernetes peer (kube-apiserver) must be up').toBeDefined();
    const objects = strimziObjects(`strimzi-${process.pid}`);
    expect(new Set(objects.map((o) => o.kind))).toEqual(
      new Set(['Namespace', 'StorageClass', 'NetworkPolicy', 'Kafka', 'KafkaNodePool', 'KafkaTopic', 'KafkaUser']),
    );
    expect(await kubeServerDryRun(kube!.kubeconfig, objects, strimziCrds(), { strict: true })).toEqual([]);
  });

  it('the same dry run refuses an unknown field and a value outside the schema', async () => {
    const objects = strimziObjects(`strimzi-bad-${process.pid}`);
    // biome-ignore lint/suspicious/noExplicitAny: parsed YAML is edited freely
    const kafka = objects.find((o) => o.kind === 'Kafka') as any;
    kafka.spec.kafka.listenerz = [];
    // biome-ignore lint/suspicious/noExplicitAny: parsed YAML is edited freely
    const user = objects.find((o) => o.kind === 'KafkaUser') as any;
    user.spec.authentication.type = 'plain';
    const ns = objects.filter((o) => o.kind === 'Namespace');
    const rejected = await kubeServerDryRun(kube!.kubeconfig, [...ns, kafka, user], strimziCrds(), { strict: true });
    expect(rejected.map((r) => r.object).sort()).toEqual([`Kafka/${kafka.metadata.name}`, `KafkaUser/${user.metadata.name}`]);
    expect(rejected.find((r) => r.object.startsWith('Kafka/'))!.message).toMatch(/listenerz/);
  });
});
