/**
 * The target descriptors and core's registry list: one line per adapter whose schemes match its descriptors, every
 * module reference a descriptor makes resolves to what it says, and the routing of `kafka://` (the shared driver)
 * against `msk://` (the MSK adapter).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kinesisCapabilities, resolveKinesisConfig } from '@speedlayer/aws-kinesis-ecs';
import {
  EVENTHUBS_KAFKA_REQUEST_BYTES,
  eventHubsAmqpCapabilities,
  eventHubsKafkaCapabilities,
  eventHubsKafkaTier,
  resolveEventHubsAmqpConfig,
} from '@speedlayer/azure-eventhubs-aks';
import { flavorTarget } from '@speedlayer/compute-kubernetes';
import {
  computeFactoryRef,
  connect,
  createCompute,
  type ExportRef,
  messagingSystem,
  parseUri,
  registerTarget,
  type StreamCapabilities,
  streamFactoryRef,
  streamFlags,
  TARGET_REGISTRY,
  type TargetDescriptor,
  targetDescriptors,
  unregisterTarget,
} from '@speedlayer/core';
import { pubsubCapabilities } from '@speedlayer/gcp-pubsub-gke';
import { kafkaCapabilities, resolveKafkaConfig } from '@speedlayer/kafka';
import { KAFKA_FLAGS } from '@speedlayer/kafka/target';
import { plannableTargets } from '@speedlayer/planner';
import { describe, expect, it } from 'vitest';

async function resolve(ref: ExportRef): Promise<unknown> {
  return ((await import(ref.module)) as Record<string, unknown>)[ref.export];
}

const all = await targetDescriptors();

describe('target registry', () => {
  it('lists every descriptor once: unique ids and schemes, every workspace target installed', () => {
    // the plannable ones, in this order, are pinned by packages/cli/test/plan.spec.ts
    expect(all.filter((d) => !d.plan).map((d) => d.id)).toEqual(['local', 'memory', 'kafka', 'kubernetes']);
    expect(all.filter((d) => d.plan).length).toBe(7);
    const streams = all.flatMap((d) => d.streamSchemes);
    const computes = all.flatMap((d) => d.computeSchemes ?? []);
    expect(new Set(streams).size).toBe(streams.length);
    expect(new Set(computes).size).toBe(computes.length);
  });

  for (const line of TARGET_REGISTRY) {
    it(`${line.module}: the line's schemes are its descriptors' schemes`, async () => {
      const { targets } = (await import(line.module)) as { targets: readonly TargetDescriptor[] };
      expect(targets.length).toBeGreaterThan(0);
      expect(targets.flatMap((d) => d.streamSchemes)).toEqual([...(line.streams ?? [])]);
      expect(targets.flatMap((d) => d.computeSchemes ?? [])).toEqual([...(line.computes ?? [])]);
      for (const d of targets) expect(line.module).toBe(`${d.package}/target`);
    });
  }
});

describe('target descriptors', () => {
  for (const d of all) {
    it(`${d.id}: its factory, limits, prices and planner references resolve to what they name`, async () => {
      if (d.streamSchemes.length > 0) expect(typeof (await resolve(streamFactoryRef(d)))).toBe('function');
      if ((d.computeSchemes ?? []).length > 0) expect(typeof (await resolve(computeFactoryRef(d)))).toBe('function');
      if (d.plan) {
        const profile = (await resolve(d.plan)) as { id: string; title: string; limits: object; prices: object };
        expect(profile).toMatchObject({ id: d.id, title: d.title });
        // the descriptor's limits and prices are the very tables the profile plans with
        for (const [key, ref] of [
          ['limits', d.limits],
          ['prices', d.prices],
        ] as const) {
          expect(ref, key).toBeDefined();
          const table = (await resolve(ref as ExportRef)) as Record<string, unknown>;
          expect(Object.keys(table).length, key).toBeGreaterThan(0);
        }
        const sourced = Object.values((await resolve(d.limits as ExportRef)) as Record<string, unknown>).filter(
          (v) => typeof v === 'object' && v !== null && 'source' in v,
        );
        expect(sourced.length, 'limits carry their sources').toBeGreaterThan(0);
      } else {
        expect(d.limits).toBeUndefined();
        expect(d.prices).toBeUndefined();
      }
      if (d.pricedAs) expect(all.find((x) => x.id === d.pricedAs)?.plan).toBeDefined();
      for (const [scheme, b] of Object.entries(d.baselines ?? {})) {
        expect(d.streamSchemes, 'a baseline is for one of its schemes').toContain(scheme);
        expect(typeof (await resolve(b.open)), `${scheme} baseline`).toBe('function');
      }
    });
  }

  it('the planner lists the targets with a planner hook, in registry order', async () => {
    expect((await plannableTargets()).map((d) => d.id)).toEqual(all.filter((d) => d.plan).map((d) => d.id));
  });
});

describe('kafka:// and msk://', () => {
  it('kafka:// is the shared driver @speedlayer/kafka (target kafka), msk:// the MSK adapter', () => {
    const kafka = all.find((d) => d.streamSchemes.includes('kafka'));
    const msk = all.find((d) => d.streamSchemes.includes('msk'));
    expect(kafka).toMatchObject({ id: 'kafka', package: '@speedlayer/kafka' });
    expect(streamFactoryRef(kafka as TargetDescriptor)).toEqual({ module: '@speedlayer/kafka', export: 'streamFactory' });
    expect(msk).toMatchObject({ id: 'aws-msk-eks', package: '@speedlayer/aws-msk-eks' });
    expect(kafka?.pricedAs).toBe('aws-msk-eks');
  });

  it('the Kafka driver builds its capabilities on the descriptor flags, and MSK declares the same', () => {
    const caps = kafkaCapabilities(resolveKafkaConfig(parseUri('kafka://b:9092', 'uri')));
    expect(caps).toMatchObject(KAFKA_FLAGS);
    expect(all.find((d) => d.id === 'aws-msk-eks')?.capabilities).toEqual(KAFKA_FLAGS);
  });
});

describe('drivers build their capabilities on their descriptors', () => {
  const byId = (id: string) => all.find((d) => d.id === id) as TargetDescriptor;
  const kafkaBase = kafkaCapabilities(
    resolveKafkaConfig(parseUri('kafka://b:9092'), { messageMaxBytes: EVENTHUBS_KAFKA_REQUEST_BYTES }),
  );

  // per scheme: the driver's capabilities and the flags it computes from its config (all others are the descriptor's)
  async function driverCapabilities(): Promise<Record<string, { caps: StreamCapabilities[]; computed: string[] }>> {
    const dir = mkdtempSync(join(tmpdir(), 'speedlayer-desc-caps-'));
    try {
      const local = await connect(`local://${dir}`);
      const memory = await connect('memory://descriptor-capabilities');
      const out = {
        local: { caps: [local.capabilities], computed: ['maxMessageBytes'] },
        memory: { caps: [memory.capabilities], computed: ['maxMessageBytes'] },
        kafka: { caps: [kafkaBase], computed: ['idempotentProduce', 'maxMessageBytes'] },
        kinesis: {
          caps: [kinesisCapabilities(resolveKinesisConfig(parseUri('kinesis://us-east-1'), {}).config)],
          computed: ['maxMessageBytes'],
        },
        eventhubs: {
          caps: ['basic', 'standard', 'premium'].map((tier) =>
            eventHubsAmqpCapabilities(resolveEventHubsAmqpConfig(parseUri('eventhubs://ns'), { tier })),
          ),
          computed: ['partitionGrowth', 'maxMessageBytes'],
        },
        'eventhubs+kafka': {
          caps: (['standard', 'premium'] as const).map((tier) => eventHubsKafkaCapabilities(kafkaBase, eventHubsKafkaTier(tier))),
          computed: ['partitionGrowth', 'idempotentProduce', 'maxMessageBytes', 'maxPartitions'],
        },
        pubsub: {
          caps: [pubsubCapabilities(false), pubsubCapabilities(true)],
          computed: ['timestampSeek', 'historyForNewGroups'],
        },
      };
      await Promise.all([local.close(), memory.close()]);
      return out;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('every static flag is declared once, by the descriptor; the driver adds only the config-dependent ones', async () => {
    const drivers = await driverCapabilities();
    const schemes = all.flatMap((d) => d.streamSchemes.map((s) => [s, d] as const)).filter(([s]) => s !== 'msk');
    expect(schemes.map(([s]) => s).sort()).toEqual(Object.keys(drivers).sort());
    for (const [scheme, d] of schemes) {
      const flags = streamFlags(d, scheme);
      const { caps, computed } = drivers[scheme] as { caps: StreamCapabilities[]; computed: string[] };
      for (const c of caps) {
        expect(c, scheme).toMatchObject(flags);
        expect(
          Object.keys(c).filter((k) => !(k in flags)),
          scheme,
        ).toEqual(computed);
      }
    }
  });

  it("Event Hubs declares each scheme's flags: AMQP emulates groups and returns no positions, the Kafka endpoint is Kafka's", () => {
    const eh = byId('azure-eventhubs-aks');
    expect(streamFlags(eh, 'eventhubs')).toMatchObject({ nativeConsumerGroups: false, producePositions: false });
    expect(streamFlags(eh, 'eventhubs+kafka')).toMatchObject({ nativeConsumerGroups: true, maxBatchBytes: 1_000_000 });
    expect(streamFlags(eh, 'eventhubs+kafka')).not.toHaveProperty('partitionGrowth');
  });
});

describe('descriptor fields instead of target-id switches', () => {
  it('messaging.system comes from the descriptor (semantic conventions values), speedlayer_local without one', () => {
    const ids = ['local', 'memory', 'kafka', 'aws-msk-eks', 'aws-kinesis-ecs', 'azure-eventhubs-aks', 'gcp-pubsub-gke', 'x'];
    expect(Object.fromEntries(ids.map((id) => [id, messagingSystem(id)]))).toEqual({
      local: 'speedlayer_local',
      memory: 'speedlayer_local',
      kafka: 'kafka',
      'aws-msk-eks': 'kafka',
      'aws-kinesis-ecs': 'aws_kinesis',
      'azure-eventhubs-aks': 'eventhubs',
      'gcp-pubsub-gke': 'gcp_pubsub',
      x: 'speedlayer_local',
    });
  });

  it('a Kubernetes flavour is labelled with the target whose descriptor deploys there', async () => {
    const flavors = ['kubernetes', 'eks', 'aks', 'gke'] as const;
    expect(await Promise.all(flavors.map((f) => flavorTarget(f)))).toEqual([
      'kubernetes',
      'aws-msk-eks',
      'azure-eventhubs-aks',
      'gcp-pubsub-gke',
    ]);
  });
});

describe('connect / createCompute through the descriptors', () => {
  it('a scheme whose package is missing names the package to install (ConfigError, field uri)', async () => {
    registerTarget({ id: 'absent', title: 'Absent', package: '@speedlayer/absent-target', streamSchemes: ['absent'] });
    try {
      await expect(connect('absent://x')).rejects.toMatchObject({
        kind: 'config',
        field: 'uri',
        message:
          'uri: scheme "absent://" needs the package @speedlayer/absent-target; install it with npm install @speedlayer/absent-target',
      });
    } finally {
      unregisterTarget('absent');
    }
  });

  it('an unknown compute scheme lists the known ones, in registry order', async () => {
    await expect(createCompute('nomad://x')).rejects.toThrow(
      'compute: unknown compute scheme "nomad://"; known: local://, kubernetes://, eks://, aks://, gke://, ecs://',
    );
  });

  it('memory:// connects through its descriptor', async () => {
    const client = await connect('memory://descriptors-spec');
    expect(client.target).toBe('memory');
    await client.close();
  });
});

describe('the CLI reads the descriptors', () => {
  it('plan and deploy list the targets their descriptors declare, in registry order', async () => {
    const cli = await import('../../packages/cli/src/commands/plan-targets.js');
    expect(cli.PLAN_TARGET_IDS).toEqual((await plannableTargets()).map((d) => d.id));
    expect(cli.DEPLOY_COMPUTE).toEqual({
      local: 'local://.speedlayer/data',
      'aws-msk-eks': 'eks://',
      'aws-kinesis-ecs': 'ecs://',
      'azure-eventhubs-aks': 'aks://',
      'gcp-pubsub-gke': 'gke://',
    });
    expect(cli.KUBERNETES_DEPLOY_TARGETS).toEqual(['aws-msk-eks', 'azure-eventhubs-aks', 'gcp-pubsub-gke']);
    expect(cli.ECS_DEPLOY_TARGETS).toEqual(['aws-kinesis-ecs']);
    // bench --with-cost prices plain kafka:// as MSK, and has no price table for the embedded targets
    expect((await cli.loadCostTarget('kafka'))?.id).toBe('aws-msk-eks');
    expect((await cli.loadCostTarget('aws-kinesis-ecs'))?.id).toBe('aws-kinesis-ecs');
    expect(await cli.loadCostTarget('local')).toBeUndefined();
  });
});
