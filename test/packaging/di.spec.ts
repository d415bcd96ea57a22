/**
 * DI on subpaths: `targetModule` routes the core bindings through the factory a container loaded, and every
 * adapter's `./di` module names schemes core's registry knows, for the adapter's own target id.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kinesisModule } from '@speedlayer/aws-kinesis-ecs/di';
import { mskModule } from '@speedlayer/aws-msk-eks/di';
import { eventHubsModule } from '@speedlayer/azure-eventhubs-aks/di';
import { computeSchemes, type StreamFactory, streamSchemes } from '@speedlayer/core';
import { coreModule, type TargetBindings, TYPES, targetModule } from '@speedlayer/core/di';
import { pubSubModule } from '@speedlayer/gcp-pubsub-gke/di';
import { streamFactory as localFactory } from '@speedlayer/local';
import { Container } from 'inversify';
import { afterEach, describe, expect, it } from 'vitest';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('core/di targetModule', () => {
  it('connects a scheme through the factory the loaded module registered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'speedlayer-di-target-'));
    dirs.push(dir);
    let calls = 0;
    const counted: StreamFactory = (uri, options) => {
      calls++;
      return localFactory({ ...uri, scheme: 'local' }, options);
    };
    const container = new Container();
    container.bind(TYPES.StreamUri).toConstantValue(`dilocal://${dir}`);
    await container.load(
      coreModule,
      targetModule({ target: 'local', module: '@speedlayer/local', streamSchemes: ['dilocal'], streamFactory: counted }),
    );
    const client = await container.getAsync(TYPES.StreamClient);
    expect(calls).toBe(1);
    expect(client.target).toBe('local');
    expect(container.getAll(TYPES.Target).map((t) => t.streamSchemes)).toEqual([['dilocal']]);
    await container.unbindAllAsync();
  });
});

describe('adapters/*/di', () => {
  const modules: Record<string, { module: Parameters<Container['load']>[0]; streams: string[]; computes?: string[] }> = {
    'aws-kinesis-ecs': { module: kinesisModule, streams: ['kinesis'], computes: ['ecs'] },
    'aws-msk-eks': { module: mskModule, streams: ['msk'] },
    'azure-eventhubs-aks': { module: eventHubsModule, streams: ['eventhubs', 'eventhubs+kafka'] },
    'gcp-pubsub-gke': { module: pubSubModule, streams: ['pubsub'] },
  };
  const known = { streams: streamSchemes(), computes: computeSchemes() };

  for (const [target, m] of Object.entries(modules)) {
    it(`${target}: binds its target with schemes core's registry knows and a factory for each kind`, async () => {
      const container = new Container();
      await container.load(m.module);
      const [bound, ...more] = container.getAll<TargetBindings>(TYPES.Target);
      expect(more).toHaveLength(0);
      expect(bound?.target).toBe(target);
      expect(bound?.module).toBe(`@speedlayer/${target}`);
      expect([...(bound?.streamSchemes ?? [])]).toEqual(m.streams);
      expect(typeof bound?.streamFactory).toBe('function');
      for (const s of m.streams) expect(known.streams).toContain(s);
      expect([...(bound?.computeSchemes ?? [])]).toEqual(m.computes ?? []);
      for (const s of m.computes ?? []) expect(known.computes).toContain(s);
      if (m.computes) expect(typeof bound?.computeFactory).toBe('function');
    });
  }
});
