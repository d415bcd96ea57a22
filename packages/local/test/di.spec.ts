import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coreModule, TYPES } from '@speedlayer/core/di';
import { Container } from 'inversify';
import { describe, expect, it } from 'vitest';
import { LOCAL_TYPES, localModule } from '../src/di.js';

describe('local/di', () => {
  it('resolves a stream client and local compute from the bound URI', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'speedlayer-di-'));
    const container = new Container();
    container.bind(TYPES.StreamUri).toConstantValue(`local://${dir}`);
    await container.load(coreModule, localModule);
    const client = await container.getAsync(TYPES.StreamClient);
    expect(client.target).toBe('local');
    expect(await container.getAsync(TYPES.StreamClient)).toBe(client);
    const compute = await container.getAsync(LOCAL_TYPES.LocalCompute);
    expect(compute.target).toBe('local');
    await client.admin.ensureTopic('di-topic', { partitions: 2 });
    expect((await client.admin.describeTopic('di-topic')).partitions).toBe(2);
    await container.unbindAllAsync(); // runs onDeactivation: closes the client and the compute
  });
});
