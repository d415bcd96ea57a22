/** Pure parts of the ECS compute adapter: Fargate sizes and the `ecs://` URI. */
import { parseUri } from '@speedlayer/core';
import { describe, expect, it } from 'vitest';
import { createEcsCompute, ecsTaskSize } from '../src/compute/index.js';

describe('aws-kinesis-ecs/compute', () => {
  it('rounds resources up to the smallest valid Fargate CPU/memory pair', () => {
    expect(ecsTaskSize()).toEqual({ cpu: '256', memory: '512' });
    expect(ecsTaskSize(0.25, 3000)).toEqual({ cpu: '512', memory: '3072' });
    expect(ecsTaskSize(1, 1024)).toEqual({ cpu: '1024', memory: '2048' });
    expect(ecsTaskSize(4, 30_000)).toEqual({ cpu: '4096', memory: '30720' });
    expect(() => ecsTaskSize(8, 1024)).toThrow(expect.objectContaining({ field: 'resources' }));
  });

  it('reads region, cluster and endpoint from ecs://<region>/<cluster>, naming the field at fault', async () => {
    const c = await createEcsCompute(parseUri('ecs://eu-west-1/workers?endpoint=http%3A%2F%2F127.0.0.1%3A5000'));
    expect(c.cluster).toBe('workers');
    expect(c.config.endpoint).toBe('http://127.0.0.1:5000');
    expect(c.capabilities).toEqual({ runsReplicas: true, autoscaling: false });
    await c.close();
    await c.close();
    await expect(createEcsCompute(parseUri('ecs://eu-west-1'))).rejects.toMatchObject({ kind: 'config', field: 'compute' });
    await expect(createEcsCompute(parseUri('ecs://eu-west-1/c?x=1'))).rejects.toMatchObject({ kind: 'config' });
    await expect(createEcsCompute(parseUri('ecs://eu-west-1/c'), { config: { runsReplicas: 'no' } })).rejects.toMatchObject({
      kind: 'config',
      field: 'runsReplicas',
    });
  });
});
