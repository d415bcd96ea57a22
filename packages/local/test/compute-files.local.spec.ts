/**
 * Local compute keeps each workload's state and its replicas' output under `<dataDir>/.compute`: what a handler prints
 * (which may include message contents) is readable by this user alone, also when the data directory is not private.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseUri } from '@speedlayer/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalCompute, type LocalCompute } from '../src/compute.js';
import { tempDir, waitUntil } from './support.js';

const computes: LocalCompute[] = [];
afterAll(async () => {
  for (const c of computes) await c.close();
});

describe.skipIf(process.platform === 'win32')('local/compute/files', () => {
  it('state and replica logs are 0700 directories and 0600 files in a data directory other users may list', async () => {
    const dataDir = join(tempDir(), 'listable');
    mkdirSync(dataDir, { mode: 0o755 });
    const compute = await createLocalCompute(parseUri(`local://${dataDir}`));
    computes.push(compute);
    await compute.deploy({
      name: 'printer',
      command: [process.execPath, '-e', "console.log('handled k1=v1'); setInterval(() => {}, 1000)"],
      replicas: 1,
    });
    const dir = join(dataDir, '.compute', 'printer');
    const log = join(dir, 'replica-0.log');
    await waitUntil(() => {
      try {
        return readFileSync(log, 'utf8').includes('handled k1=v1');
      } catch {
        return false;
      }
    }, 'the replica to print');
    const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
    expect(mode(join(dataDir, '.compute'))).toBe('700');
    expect(mode(dir)).toBe('700');
    expect(mode(log)).toBe('600');
    expect(mode(join(dir, 'status.json'))).toBe('600');
    expect(mode(join(dir, 'spec.json'))).toBe('600');
    await compute.remove('printer');
  });
});
