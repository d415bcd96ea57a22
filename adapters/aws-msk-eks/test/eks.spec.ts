import { describe, expect, it } from 'vitest';
import { EKS_TOKEN_EXPIRES_SECONDS, EKS_TOKEN_REUSE_MS, EksTokenSource, eksToken } from '../src/eks.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

function decode(token: string): URL {
  expect(token.startsWith('k8s-aws-v1.')).toBe(true);
  const b64 = token.slice('k8s-aws-v1.'.length);
  expect(b64).toMatch(/^[A-Za-z0-9_-]+$/); // base64url, no padding
  return new URL(Buffer.from(b64, 'base64url').toString('utf8'));
}

describe('aws-msk-eks/eks token', () => {
  it('is k8s-aws-v1. + base64url of a presigned STS GetCallerIdentity URL signing x-k8s-aws-id, valid 60 s', async () => {
    const url = decode(
      await eksToken('prod-cluster', { region: 'eu-west-1', credentials, signingDate: new Date('2026-01-02T03:04:05Z') }),
    );
    expect(url.origin).toBe('https://sts.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
    expect(url.searchParams.get('Version')).toBe('2011-06-15');
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(url.searchParams.get('X-Amz-Expires')).toBe(String(EKS_TOKEN_EXPIRES_SECONDS));
    expect(EKS_TOKEN_EXPIRES_SECONDS).toBe(60);
    expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toEqual(expect.arrayContaining(['host', 'x-k8s-aws-id']));
    expect(url.searchParams.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20260102/eu-west-1/sts/aws4_request');
    expect(url.searchParams.get('X-Amz-Date')).toBe('20260102T030405Z');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    // the cluster name is a signed header, not a query parameter
    expect(url.searchParams.has('x-k8s-aws-id')).toBe(false);
  });

  it('signs the cluster name: another cluster gives another signature', async () => {
    const at = new Date('2026-01-02T03:04:05Z');
    const a = decode(await eksToken('a', { region: 'us-east-1', credentials, signingDate: at }));
    const b = decode(await eksToken('b', { region: 'us-east-1', credentials, signingDate: at }));
    expect(a.searchParams.get('X-Amz-Signature')).not.toBe(b.searchParams.get('X-Amz-Signature'));
  });

  it('carries a session token when the credentials have one', async () => {
    const url = decode(await eksToken('c', { region: 'us-east-1', credentials: { ...credentials, sessionToken: 'tok+/=' } }));
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('tok+/=');
  });

  it('reuses a token for 10 minutes, then mints a new one (EKS accepts one for about 15), one mint at a time', async () => {
    let clock = 0;
    let mints = 0;
    const source = new EksTokenSource(
      'prod',
      { region: 'us-east-1', credentials },
      () => clock,
      async () => `k8s-aws-v1.t${++mints}`,
    );
    const [a, b] = await Promise.all([source.token(), source.token()]);
    expect([a, b, mints]).toEqual(['k8s-aws-v1.t1', 'k8s-aws-v1.t1', 1]);
    clock = EKS_TOKEN_REUSE_MS - 1;
    expect(await source.token()).toBe('k8s-aws-v1.t1');
    clock = EKS_TOKEN_REUSE_MS;
    expect(await source.token()).toBe('k8s-aws-v1.t2');
    expect(EKS_TOKEN_REUSE_MS).toBeLessThan(15 * 60_000);
  });
});
