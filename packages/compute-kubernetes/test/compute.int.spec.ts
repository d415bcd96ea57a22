// biome-ignore-all lint/suspicious/noExplicitAny: parsed Kubernetes objects are navigated freely in assertions
/**
 * Kubernetes compute against the real kube-apiserver + etcd peer. No kubelet runs there, so pods never become
 * ready: the suite checks the objects the API server stores and declares `runsReplicas: false` (detected: no nodes).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1JSONSchemaProps } from '@kubernetes/client-node';
import { ApiextensionsV1Api, AppsV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { connect, createCompute, targetDescriptors } from '@speedlayer/core';
import { eventHubKedaTrigger } from '@speedlayer/iac';
import { kedaCrds, kubeServerDryRun } from '@speedlayer/iac/validate';
import { uniqueName } from '@speedlayer/testing';
import { computeConformance, computeMatrixOf } from '@speedlayer/testing/conformance';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { KubernetesCompute } from '../src/index.js';

const streamDir = mkdtempSync(join(tmpdir(), 'speedlayer-k8s-stream-'));
const descriptors = await targetDescriptors();

describePeer('kubernetes', 'compute-kubernetes on kube-apiserver', (k8s) => {
  const uri = `kubernetes://?kubeconfig=${encodeURIComponent(k8s.kubeconfig)}&namespace=speedlayer-conformance`;

  // the descriptor's matrix entry (`@speedlayer/compute-kubernetes/target`)
  for (const target of computeMatrixOf(descriptors, {
    targets: ['kubernetes'],
    computes: { kubernetes: uri },
    streams: { local: `local://${streamDir}` },
    workload: () => ({
      image: 'ghcr.io/speedlayer/worker:0.1.0',
      command: ['speedlayer', 'worker', '--topic', 't', '--group', 'g', '--handler', '/app/handler.js'],
    }),
  })) {
    computeConformance(target);
  }

  // The same suite for each managed flavour (EKS, AKS, GKE): workload identity annotations on the service account.
  for (const [scheme, identity] of [
    ['eks', 'arn:aws:iam::123456789012:role/speedlayer-worker'],
    ['aks', '00000000-0000-0000-0000-000000000001'],
    ['gke', 'worker@speedlayer-test.iam.gserviceaccount.com'],
  ] as const) {
    computeConformance({
      name: `${scheme} (HPA)`,
      uri: `${scheme}://?kubeconfig=${encodeURIComponent(k8s.kubeconfig)}&namespace=speedlayer-conformance-${scheme}`,
      config: { autoscaler: 'hpa', identity },
      streamUri: `local://${streamDir}`,
      workload: () => ({
        image: 'ghcr.io/speedlayer/worker:0.1.0',
        command: ['speedlayer', 'worker', '--topic', 't', '--group', 'g', '--handler', '/app/handler.js'],
      }),
    });
  }

  it('declares that replicas do not run here (no nodes), instead of pretending', async () => {
    const c = await createCompute(uri);
    expect(c.capabilities.runsReplicas).toBe(false);
    await c.close();
  });

  it('a kubeconfig whose server refuses connections gives a typed connection error', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(k8s.kubeconfig);
    const broken = join(mkdtempSync(join(tmpdir(), 'speedlayer-kc-')), 'kubeconfig');
    const cluster = kc.getCurrentCluster()!;
    kc.clusters = [{ ...cluster, server: 'https://127.0.0.1:1' }];
    const { writeFileSync } = await import('node:fs');
    writeFileSync(broken, kc.exportConfig());
    await expect(createCompute(`kubernetes://?kubeconfig=${encodeURIComponent(broken)}`)).rejects.toMatchObject({
      kind: 'connection',
      retriable: true,
    });
  });

  it('a missing kubeconfig file is a config error naming the field', async () => {
    await expect(createCompute('kubernetes://?kubeconfig=/nonexistent/kubeconfig')).rejects.toMatchObject({
      kind: 'config',
      field: 'kubeconfig',
    });
  });

  describePeer('kubernetes', 'with KEDA ScaledObjects', () => {
    // A minimal CustomResourceDefinition for keda.sh/v1alpha1 ScaledObject (a schema stand-in, not KEDA itself:
    // no KEDA operator runs here), so the API server stores and returns ScaledObjects.
    beforeAll(async () => {
      const kc = new KubeConfig();
      kc.loadFromFile(k8s.kubeconfig);
      const ext = kc.makeApiClient(ApiextensionsV1Api);
      try {
        await ext.createCustomResourceDefinition({
          body: {
            apiVersion: 'apiextensions.k8s.io/v1',
            kind: 'CustomResourceDefinition',
            metadata: { name: 'scaledobjects.keda.sh' },
            spec: {
              group: 'keda.sh',
              names: { kind: 'ScaledObject', listKind: 'ScaledObjectList', plural: 'scaledobjects', singular: 'scaledobject' },
              scope: 'Namespaced',
              versions: [
                {
                  name: 'v1alpha1',
                  served: true,
                  storage: true,
                  // the client's V1JSONSchemaProps type lacks the x-kubernetes-* extensions the API server accepts
                  schema: {
                    openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } as V1JSONSchemaProps,
                  },
                },
              ],
            },
          },
        });
      } catch (e) {
        if ((e as { code?: number }).code !== 409) throw e;
      }
      // the CRD takes a moment to be served
      for (let i = 0; i < 100; i++) {
        try {
          const c = (await createCompute(`${uri}&autoscaler=keda`, {
            config: { trigger: { type: 'kafka', metadata: { topic: 't' } } },
          })) as KubernetesCompute;
          await c.close();
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    });

    let stream: Awaited<ReturnType<typeof connect>>;
    afterAll(async () => stream?.close());

    it('aks: alignReplicas with the azure-eventhub scaler keeps a pod-identity TriggerAuthentication; remove deletes it', async () => {
      expect(await kubeServerDryRun(k8s.kubeconfig, [], kedaCrds())).toEqual([]);
      stream = stream ?? (await connect(`local://${streamDir}`));
      const topic = uniqueName('aks-align');
      await stream.admin.ensureTopic(topic, { partitions: 4 });
      const namespace = 'speedlayer-conformance-aks-keda';
      const compute = (await createCompute(`aks://?kubeconfig=${encodeURIComponent(k8s.kubeconfig)}&namespace=${namespace}`, {
        config: {
          autoscaler: 'keda',
          identity: '00000000-0000-0000-0000-000000000001',
          trigger: eventHubKedaTrigger({
            eventHubNamespace: 'ns1',
            eventHubName: topic,
            consumerGroup: 'g',
            unprocessedEventThreshold: 64,
            storageAccountName: 'ckpt',
            blobContainer: 'checkpoints',
          }),
        },
      })) as KubernetesCompute;
      const name = uniqueName('aks').toLowerCase();
      await compute.deploy({ name, image: 'ghcr.io/speedlayer/worker:0.1.0', command: ['speedlayer', 'worker'], replicas: 1 });
      expect(await compute.alignReplicas(stream, topic, name)).toMatchObject({ desiredReplicas: 4, autoscaling: { max: 4 } });
      const kc = new KubeConfig();
      kc.loadFromFile(k8s.kubeconfig);
      const custom = kc.makeApiClient(CustomObjectsApi);
      const get = (plural: string, n: string) =>
        custom.getNamespacedCustomObject({ group: 'keda.sh', version: 'v1alpha1', namespace, plural, name: n }) as Promise<{
          spec: Record<string, any>;
        }>;
      expect((await get('triggerauthentications', `${name}-keda`)).spec.podIdentity).toEqual({ provider: 'azure-workload' });
      const so = await get('scaledobjects', name);
      expect(so.spec.maxReplicaCount).toBe(4);
      expect(so.spec.triggers[0]).toMatchObject({
        type: 'azure-eventhub',
        metadata: { checkpointStrategy: 'blobMetadata', consumerGroup: 'g' },
        authenticationRef: { name: `${name}-keda` },
      });
      await compute.remove(name);
      await expect(get('triggerauthentications', `${name}-keda`)).rejects.toMatchObject({ code: 404 });
      await compute.close();
    });

    it('alignReplicas sets the Deployment replicas and the ScaledObject maximum to the partition count', async () => {
      stream = stream ?? (await connect(`local://${streamDir}`));
      const topic = uniqueName('k8s-align');
      await stream.admin.ensureTopic(topic, { partitions: 5 });
      const compute = (await createCompute(uri, {
        config: {
          autoscaler: 'auto',
          trigger: { type: 'kafka', metadata: { bootstrapServers: 'b:9098', consumerGroup: 'g', topic, lagThreshold: '50' } },
        },
      })) as KubernetesCompute;
      expect(compute.autoscalerKind).toBe('keda');
      const name = uniqueName('keda').toLowerCase();
      await compute.deploy({
        name,
        image: 'ghcr.io/speedlayer/worker:0.1.0',
        command: ['speedlayer', 'worker'],
        replicas: 1,
        autoscaling: { min: 1, max: 1 },
      });
      const s = await compute.alignReplicas(stream, topic, name);
      expect(s).toMatchObject({ desiredReplicas: 5, autoscaling: { min: 1, max: 5 } });
      const kc = new KubeConfig();
      kc.loadFromFile(k8s.kubeconfig);
      const d = await kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name, namespace: 'speedlayer-conformance' });
      expect(d.spec?.replicas).toBe(5);
      expect(d.metadata?.managedFields?.some((f) => f.manager === 'speedlayer' && f.operation === 'Apply')).toBe(true);
      await compute.remove(name);
      await compute.close();
    });
  });
});
