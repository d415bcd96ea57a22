/**
 * A KubeConfig for `eks://<cluster>` without a kubeconfig file: endpoint and CA from the EKS API, user = an EKS
 * bearer token minted per request when stale. The AWS side (`DescribeCluster`, the token) lives in the AWS adapter,
 * `@speedlayer/aws-msk-eks/eks`, an optional peer dependency loaded only for `eks://` URIs, so this package pulls no
 * AWS SDK.
 *
 * @packageDocumentation
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { EksClusterAccess, EksCredentials } from '@speedlayer/aws-msk-eks/eks';
import { ConfigError } from '@speedlayer/core';

const EKS_MODULE = '@speedlayer/aws-msk-eks/eks';

type EksModule = typeof import('@speedlayer/aws-msk-eks/eks');

/**
 * Loads the AWS side of `eks://` from the optional peer `@speedlayer/aws-msk-eks`.
 * @throws `ConfigError` (field `compute`) naming the package to install when it is missing.
 * @internal
 */
export async function loadEks(
  cluster: string,
  importer: () => Promise<EksModule> = () => import('@speedlayer/aws-msk-eks/eks'),
): Promise<EksModule> {
  try {
    return await importer();
  } catch (e) {
    // the package itself is missing, not something it imports (whose message names it as the importer)
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes("'@speedlayer/aws-msk-eks'")) {
      throw new ConfigError(
        `compute: eks://${cluster} needs the package ${EKS_MODULE} (EKS API and token); install it with npm install @speedlayer/aws-msk-eks`,
        { field: 'compute', cause: e },
      );
    }
    throw e;
  }
}

/**
 * A KubeConfig for an EKS cluster: endpoint and CA from `describeEksCluster`, user = an EKS bearer token from
 * `EksTokenSource` (both in `@speedlayer/aws-msk-eks/eks`).
 * @throws `ConfigError` (field `compute`) when `@speedlayer/aws-msk-eks` is not installed; otherwise as
 * `describeEksCluster` and `eksToken`.
 */
export async function eksKubeConfig(
  cluster: string,
  options: { region: string; endpoint?: string; credentials?: EksCredentials },
): Promise<{ kubeConfig: KubeConfig; access: EksClusterAccess }> {
  const { describeEksCluster, EksTokenSource } = await loadEks(cluster);
  const access = await describeEksCluster(cluster, options);
  const tokens = new EksTokenSource(cluster, {
    region: options.region,
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  await tokens.token(); // fail here, not on the first API call, when there are no credentials
  const kc = new KubeConfig();
  const context = `eks:${options.region}:${cluster}`;
  const userName = `${context}:token`;
  kc.loadFromOptions({
    clusters: [{ name: context, server: access.server, caData: access.caData, skipTLSVerify: false }],
    users: [{ name: userName }],
    contexts: [{ name: context, cluster: context, user: userName }],
    currentContext: context,
  });
  // The token is minted per request when stale, so a long-lived client outlives EKS' ~15-minute token lifetime.
  kc.addAuthenticator({
    isAuthProvider: (user) => user.name === userName,
    applyAuthentication: async (_user, opts) => {
      opts.headers = { ...(opts.headers ?? {}), Authorization: `Bearer ${await tokens.token()}` };
    },
  });
  return { kubeConfig: kc, access };
}
