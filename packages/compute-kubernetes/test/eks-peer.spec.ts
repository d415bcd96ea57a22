import { ConfigError } from '@speedlayer/core';
import { describe, expect, it } from 'vitest';
import { loadEks } from '../src/eks.js';

/** Node's error for a package that is not installed, raised while loading `from`. */
function notFound(spec: string, from: string): Error {
  return Object.assign(new Error(`Cannot find package '${spec}' imported from /app/node_modules/${from}`), {
    code: 'ERR_MODULE_NOT_FOUND',
  });
}

describe('compute-kubernetes/eks optional peer', () => {
  it('loads @speedlayer/aws-msk-eks/eks when it is installed', async () => {
    const mod = await loadEks('prod');
    expect(typeof mod.describeEksCluster).toBe('function');
    expect(typeof mod.EksTokenSource).toBe('function');
  });

  it('names the package to install when @speedlayer/aws-msk-eks is missing (ConfigError, field compute)', async () => {
    const err = await loadEks('prod', () =>
      Promise.reject(notFound('@speedlayer/aws-msk-eks', '@speedlayer/compute-kubernetes/dist/eks.js')),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ field: 'compute', retriable: false });
    expect((err as Error).message).toContain('eks://prod');
    expect((err as Error).message).toContain('npm install @speedlayer/aws-msk-eks');
  });

  it('passes any other load failure through unchanged, even one raised inside @speedlayer/aws-msk-eks', async () => {
    const other = notFound('@aws-sdk/client-eks', '@speedlayer/aws-msk-eks/dist/eks.js');
    await expect(loadEks('prod', () => Promise.reject(other))).rejects.toBe(other);
  });
});
