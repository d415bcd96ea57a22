/**
 * EKS cluster resolution against moto's EKS control plane: `DescribeCluster` through `AWS_ENDPOINT_URL`, a
 * KubeConfig whose user is an EKS bearer token, and typed errors. moto's cluster endpoint is a name without a real
 * API server behind it, so the last step proves the route up to the connection, not a Kubernetes call.
 */
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { describeEksCluster } from '@speedlayer/aws-msk-eks/eks';
import { createCompute } from '@speedlayer/core';
import { uniqueName } from '@speedlayer/testing';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eksKubeConfig } from '../src/eks.js';

describePeer('moto', 'compute-kubernetes: EKS access through the EKS API (moto)', (moto) => {
  const saved = { ...process.env };
  const cluster = uniqueName('eks').toLowerCase().slice(0, 40);
  let created: { endpoint?: string | undefined; certificateAuthority?: { data?: string | undefined } | undefined } | undefined;

  beforeAll(async () => {
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: moto.region,
      AWS_ENDPOINT_URL: moto.endpoint,
    });
    const eks = new EKSClient({ region: moto.region, endpoint: moto.endpoint });
    created = (
      await eks.send(
        new CreateClusterCommand({
          name: cluster,
          roleArn: 'arn:aws:iam::123456789012:role/eks-cluster',
          resourcesVpcConfig: { subnetIds: ['subnet-1', 'subnet-2'] },
        }),
      )
    ).cluster;
    eks.destroy();
  });
  afterAll(() => {
    process.env = saved;
  });

  it('DescribeCluster (honouring AWS_ENDPOINT_URL) gives the endpoint and CA the control plane holds', async () => {
    const access = await describeEksCluster(cluster, { region: moto.region });
    expect(created?.endpoint).toBeTruthy();
    expect(access).toEqual({ name: cluster, server: created?.endpoint, caData: created?.certificateAuthority?.data });
  });

  it('builds a KubeConfig for the cluster whose user is an EKS bearer token', async () => {
    const { kubeConfig } = await eksKubeConfig(cluster, { region: moto.region });
    expect(kubeConfig.getCurrentCluster()?.server).toBe(created?.endpoint);
    // The token is minted per request (and renewed when stale), so it is in the Authorization header, not the user.
    const opts: { headers?: Record<string, unknown> } = {};
    await kubeConfig.applyToHTTPSOptions(opts);
    expect(String(opts.headers?.Authorization)).toMatch(/^Bearer k8s-aws-v1\.[A-Za-z0-9_-]+$/);
  });

  it('an unknown cluster is a not-found error naming the cluster', async () => {
    await expect(describeEksCluster('no-such-cluster', { region: moto.region })).rejects.toMatchObject({
      kind: 'not-found',
      field: 'cluster',
    });
  });

  it('eks://<cluster>?region= without a kubeconfig resolves through the EKS API and then reaches for its endpoint', async () => {
    await expect(createCompute(`eks://${cluster}?region=${moto.region}`)).rejects.toMatchObject({
      kind: 'connection',
      retriable: true,
      message: expect.stringContaining('cannot reach the Kubernetes API server'),
    });
    await expect(createCompute(`eks://no-such-cluster?region=${moto.region}`)).rejects.toMatchObject({ kind: 'not-found' });
  });
});
