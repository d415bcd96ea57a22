/**
 * EKS cluster access without a kubeconfig: the cluster's endpoint and CA from the EKS API (`DescribeCluster`), and
 * the standard EKS bearer token (what `aws eks get-token` prints): `k8s-aws-v1.` + base64url of a SigV4-presigned
 * STS `GetCallerIdentity` URL whose signed headers include `x-k8s-aws-id: <cluster>`, valid 60 s to present
 * (EKS accepts it for about 15 minutes). Credentials come from the AWS default provider chain. The token is a
 * credential: it is never logged or put in an error. AWS SDK code only: `@speedlayer/compute-kubernetes` builds
 * the KubeConfig for `eks://` URIs from these, so the Kubernetes adapter itself pulls no AWS SDK.
 *
 * @packageDocumentation
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { AuthError, ConfigError, ConnectionError, NotFoundError, type SpeedlayerError } from '@speedlayer/core';

/** AWS credentials for signing (the default provider chain when absent). */
export interface EksCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Seconds a presigned EKS token URL is valid to present (the value `aws eks get-token` uses). */
export const EKS_TOKEN_EXPIRES_SECONDS = 60;

const TOKEN_PREFIX = 'k8s-aws-v1.';

/**
 * Creates the EKS bearer token for `cluster`.
 * @param options.signingDate fixed clock for tests.
 * @throws `AuthError` when no AWS credentials can be found.
 * @example
 * ```ts
 * const token = await eksToken('prod', { region: 'eu-west-1' });
 * token.startsWith('k8s-aws-v1.'); // true
 * ```
 */
export async function eksToken(
  cluster: string,
  options: { region: string; credentials?: EksCredentials; signingDate?: Date },
): Promise<string> {
  const { region } = options;
  let credentials: EksCredentials;
  try {
    credentials = options.credentials ?? (await defaultProvider()());
  } catch (e) {
    throw new AuthError(`eks://${cluster}: no AWS credentials found in the default provider chain: ${(e as Error).message}`, {
      cause: e,
      target: 'aws-msk-eks',
    });
  }
  const hostname = `sts.${region}.amazonaws.com`;
  const signer = new SignatureV4({ credentials, region, service: 'sts', sha256: Sha256 });
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: hostname, 'x-k8s-aws-id': cluster },
    },
    { expiresIn: EKS_TOKEN_EXPIRES_SECONDS, ...(options.signingDate ? { signingDate: options.signingDate } : {}) },
  );
  const query = Object.entries(signed.query ?? {})
    .flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x] as const) : v == null ? [] : [[k, v] as const]))
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  const url = `https://${hostname}/?${query}`;
  return TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url');
}

/** An EKS cluster's API endpoint and CA bundle (base64 PEM), from `DescribeCluster`. */
export interface EksClusterAccess {
  name: string;
  server: string;
  caData: string;
}

function classifyAws(e: unknown, what: string): SpeedlayerError {
  const name = (e as { name?: string }).name ?? '';
  const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (name === 'ResourceNotFoundException' || status === 404)
    return new NotFoundError(`${what}: no such EKS cluster`, { cause: e, field: 'cluster', target: 'aws-msk-eks' });
  if (/Credential|AccessDenied|UnrecognizedClient|InvalidSignature|ExpiredToken/i.test(name) || status === 401 || status === 403)
    return new AuthError(`${what}: AWS refused the credentials (${name || status})`, { cause: e, target: 'aws-msk-eks' });
  if (status !== undefined && status < 500 && status >= 400)
    return new ConfigError(`${what}: ${name}: ${(e as Error).message}`, { cause: e, field: 'cluster' });
  return new ConnectionError(`${what}: cannot reach the EKS API: ${(e as Error).message}`, {
    cause: e,
    target: 'aws-msk-eks',
  });
}

/**
 * Reads a cluster's endpoint and CA from the EKS API. Honours `AWS_ENDPOINT_URL`/`AWS_ENDPOINT_URL_EKS` (the SDK
 * does) or an explicit `endpoint`.
 * @throws `NotFoundError` (field `cluster`), `AuthError`, `ConnectionError` (retriable).
 */
export async function describeEksCluster(
  cluster: string,
  options: { region: string; endpoint?: string; credentials?: EksCredentials },
): Promise<EksClusterAccess> {
  const client = new EKSClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: 2,
  });
  try {
    const out = await client.send(new DescribeClusterCommand({ name: cluster }));
    const server = out.cluster?.endpoint;
    const caData = out.cluster?.certificateAuthority?.data;
    if (!server || !caData) {
      throw new ConnectionError(`eks://${cluster}: the cluster has no endpoint yet (status ${out.cluster?.status})`, {
        target: 'aws-msk-eks',
      });
    }
    return { name: cluster, server, caData };
  } catch (e) {
    if (e instanceof ConnectionError) throw e;
    throw classifyAws(e, `eks://${cluster} DescribeCluster in ${options.region}`);
  } finally {
    client.destroy();
  }
}

/** Minutes an EKS token is reused before a new one is minted (EKS accepts one for about 15 minutes). */
export const EKS_TOKEN_REUSE_MS = 10 * 60_000;

/** Mints EKS tokens and reuses each for {@link EKS_TOKEN_REUSE_MS}. */
export class EksTokenSource {
  private current: { token: string; at: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly cluster: string,
    private readonly options: { region: string; credentials?: EksCredentials },
    private readonly now: () => number = Date.now,
    private readonly mint: typeof eksToken = eksToken,
  ) {}

  /** A token younger than {@link EKS_TOKEN_REUSE_MS}, minted now when the last one is older. */
  async token(): Promise<string> {
    const c = this.current;
    if (c && this.now() - c.at < EKS_TOKEN_REUSE_MS) return c.token;
    this.pending ??= this.mint(this.cluster, this.options)
      .then((token) => {
        this.current = { token, at: this.now() };
        return token;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }
}
