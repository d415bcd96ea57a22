import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { gunzipSync } from 'node:zlib';
import { parseAllDocuments, parse as parseYaml } from 'yaml';

/** Connection details read from a kubeconfig (current context). */
export interface KubeConnection {
  readonly server: string;
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly token?: string;
  readonly insecureSkipTlsVerify: boolean;
}

interface KubeConfigFile {
  'current-context'?: string;
  contexts?: { name: string; context: { cluster: string; user: string } }[];
  clusters?: {
    name: string;
    cluster: {
      server: string;
      'certificate-authority'?: string;
      'certificate-authority-data'?: string;
      'insecure-skip-tls-verify'?: boolean;
    };
  }[];
  users?: {
    name: string;
    user: {
      'client-certificate'?: string;
      'client-certificate-data'?: string;
      'client-key'?: string;
      'client-key-data'?: string;
      token?: string;
      tokenFile?: string;
    };
  }[];
}

function fileOrData(file: string | undefined, data: string | undefined): Buffer | undefined {
  if (data) return Buffer.from(data, 'base64');
  if (file) return readFileSync(file);
  return undefined;
}

/**
 * Reads the current context of a kubeconfig (a path, or the YAML text itself).
 * @throws Error when the kubeconfig has no usable context.
 */
export function readKubeconfig(pathOrText: string): KubeConnection {
  const text = /\bapiVersion\s*:/.test(pathOrText) ? pathOrText : readFileSync(pathOrText, 'utf8');
  const cfg = parseYaml(text) as KubeConfigFile;
  const ctxName = cfg['current-context'] ?? cfg.contexts?.[0]?.name;
  const ctx = cfg.contexts?.find((c) => c.name === ctxName)?.context;
  const cluster = cfg.clusters?.find((c) => c.name === (ctx?.cluster ?? cfg.clusters?.[0]?.name))?.cluster;
  if (!cluster) throw new Error('kubeconfig has no cluster for its current context');
  const user = cfg.users?.find((u) => u.name === (ctx?.user ?? cfg.users?.[0]?.name))?.user ?? {};
  const ca = fileOrData(cluster['certificate-authority'], cluster['certificate-authority-data']);
  const cert = fileOrData(user['client-certificate'], user['client-certificate-data']);
  const key = fileOrData(user['client-key'], user['client-key-data']);
  const token = user.token ?? (user.tokenFile ? readFileSync(user.tokenFile, 'utf8').trim() : undefined);
  return {
    server: cluster.server.replace(/\/+$/, ''),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(token ? { token } : {}),
  };
}

const RESOURCES: Record<string, { plural: string; namespaced: boolean }> = {
  'v1/Namespace': { plural: 'namespaces', namespaced: false },
  'v1/ServiceAccount': { plural: 'serviceaccounts', namespaced: true },
  'v1/ConfigMap': { plural: 'configmaps', namespaced: true },
  'apps/v1/Deployment': { plural: 'deployments', namespaced: true },
  'policy/v1/PodDisruptionBudget': { plural: 'poddisruptionbudgets', namespaced: true },
  'networking.k8s.io/v1/NetworkPolicy': { plural: 'networkpolicies', namespaced: true },
  'autoscaling/v2/HorizontalPodAutoscaler': { plural: 'horizontalpodautoscalers', namespaced: true },
  'batch/v1/Job': { plural: 'jobs', namespaced: true },
  'keda.sh/v1alpha1/ScaledObject': { plural: 'scaledobjects', namespaced: true },
  'keda.sh/v1alpha1/TriggerAuthentication': { plural: 'triggerauthentications', namespaced: true },
  'apiextensions.k8s.io/v1/CustomResourceDefinition': { plural: 'customresourcedefinitions', namespaced: false },
  'storage.k8s.io/v1/StorageClass': { plural: 'storageclasses', namespaced: false },
  'kafka.strimzi.io/v1/Kafka': { plural: 'kafkas', namespaced: true },
  'kafka.strimzi.io/v1/KafkaNodePool': { plural: 'kafkanodepools', namespaced: true },
  'kafka.strimzi.io/v1/KafkaTopic': { plural: 'kafkatopics', namespaced: true },
  'kafka.strimzi.io/v1/KafkaUser': { plural: 'kafkausers', namespaced: true },
};

/** URL path of an object for server-side apply. */
export function objectPath(o: Record<string, unknown>): string {
  const apiVersion = String(o.apiVersion);
  const kind = String(o.kind);
  const meta = o.metadata as { name: string; namespace?: string };
  const r = RESOURCES[`${apiVersion}/${kind}`];
  if (!r) throw new Error(`no API path known for ${apiVersion}/${kind}`);
  const prefix = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const ns = r.namespaced ? `/namespaces/${encodeURIComponent(meta.namespace ?? 'default')}` : '';
  return `${prefix}${ns}/${r.plural}/${encodeURIComponent(meta.name)}`;
}

/** Response of one API call. */
export interface KubeResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** Sends one request to the API server. */
export function kubeRequest(
  conn: KubeConnection,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<KubeResponse> {
  const url = new URL(conn.server + path);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const options: RequestOptions = {
    method,
    hostname: url.hostname,
    port: url.port,
    path: url.pathname + url.search,
    headers: {
      accept: 'application/json',
      ...(payload ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}),
      ...(conn.token ? { authorization: `Bearer ${conn.token}` } : {}),
    },
    ...(conn.ca ? { ca: conn.ca } : {}),
    ...(conn.cert ? { cert: conn.cert } : {}),
    ...(conn.key ? { key: conn.key } : {}),
    rejectUnauthorized: !conn.insecureSkipTlsVerify,
    timeout: 30_000,
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(options, (res) => {
      let data = '';
      res.on('data', (d: Buffer) => {
        data += d.toString();
      });
      res.on('end', () => {
        let parsed: Record<string, unknown> = {};
        try {
          parsed = data ? (JSON.parse(data) as Record<string, unknown>) : {};
        } catch {
          parsed = { message: data };
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout calling ${method} ${path}`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** Server-side apply of one object; `dryRun` makes the server validate, default and admit it without storing it. */
export function serverSideApply(
  conn: KubeConnection,
  o: Record<string, unknown>,
  dryRun: boolean,
  strict = false,
): Promise<KubeResponse> {
  const query = `?fieldManager=speedlayer&force=true${dryRun ? '&dryRun=All' : ''}${strict ? '&fieldValidation=Strict' : ''}`;
  return kubeRequest(conn, 'PATCH', objectPath(o) + query, o, 'application/apply-patch+yaml');
}

/** One object the API server refused. */
export interface DryRunRejection {
  readonly object: string;
  readonly status: number;
  readonly message: string;
}

/**
 * Server-side dry run of objects against a real kube-apiserver. Namespaces (and the CRDs in `crds`) are applied
 * for real first, because namespaced objects cannot be dry-run into a namespace that does not exist.
 * `options.strict` rejects unknown fields (`fieldValidation=Strict`) instead of letting the server prune them.
 * @returns the objects the server refused (empty when all were accepted).
 */
export async function kubeServerDryRun(
  kubeconfig: string,
  objects: readonly Record<string, unknown>[],
  crds: readonly Record<string, unknown>[] = [],
  options: { readonly strict?: boolean } = {},
): Promise<DryRunRejection[]> {
  const conn = readKubeconfig(kubeconfig);
  const rejected: DryRunRejection[] = [];
  const describe = (o: Record<string, unknown>) => `${String(o.kind)}/${String((o.metadata as { name?: string }).name)}`;
  for (const crd of crds) {
    const r = await serverSideApply(conn, crd, false);
    if (r.status >= 300) rejected.push({ object: describe(crd), status: r.status, message: String(r.body.message ?? '') });
  }
  if (crds.length > 0) await waitForCrds(conn, crds);
  for (const ns of objects.filter((o) => o.kind === 'Namespace')) {
    const r = await serverSideApply(conn, ns, false);
    if (r.status >= 300) rejected.push({ object: describe(ns), status: r.status, message: String(r.body.message ?? '') });
  }
  for (const o of objects.filter((x) => x.kind !== 'Namespace')) {
    const r = await serverSideApply(conn, o, true, options.strict);
    if (r.status >= 300) rejected.push({ object: describe(o), status: r.status, message: String(r.body.message ?? '') });
  }
  return rejected;
}

async function waitForCrds(conn: KubeConnection, crds: readonly Record<string, unknown>[]): Promise<void> {
  for (const crd of crds) {
    const spec = crd.spec as { group: string; versions: { name: string }[]; names: { plural: string } };
    const path = `/apis/${spec.group}/${spec.versions[0]?.name}`;
    for (let i = 0; i < 100; i++) {
      const r = await kubeRequest(conn, 'GET', path);
      const resources = (r.body.resources as { name: string }[] | undefined) ?? [];
      if (r.status === 200 && resources.some((x) => x.name === spec.names.plural)) break;
      await new Promise((res) => setTimeout(res, 100));
    }
  }
}

/** The Strimzi release whose CRDs {@link strimziCrds} returns. */
export const STRIMZI_CRDS_VERSION = '1.2.0';

/**
 * Strimzi's published CRDs (`Kafka`, `KafkaNodePool`, `KafkaTopic`, `KafkaUser`, served as `kafka.strimzi.io/v1`) of
 * release {@link STRIMZI_CRDS_VERSION}, unchanged from the release's `packaging/install/cluster-operator/04*-Crd-*.yaml`
 * (strimzi/strimzi-kafka-operator tag 1.2.0, commit 6c7b43c4af0db547c10463ba09d1dfa6f5e156a0, Apache-2.0), for a
 * server-side dry run of Strimzi resources against the real schemas.
 */
export function strimziCrds(): Record<string, unknown>[] {
  const file = new URL(`../../src/validate/strimzi-crds-${STRIMZI_CRDS_VERSION}.yaml.gz`, import.meta.url);
  return parseAllDocuments(gunzipSync(readFileSync(file)).toString('utf8'))
    .map((d) => d.toJS() as Record<string, unknown> | null)
    .filter((o): o is Record<string, unknown> => o !== null);
}

/**
 * Trimmed KEDA CRDs (ScaledObject, TriggerAuthentication) with structural schemas of the fields speedlayer emits,
 * for API servers without KEDA installed. Unknown fields are pruned by the server, so the schemas list every field
 * that is emitted.
 */
export function kedaCrds(): Record<string, unknown>[] {
  const str = { type: 'string' };
  const int = { type: 'integer', format: 'int32' };
  const crd = (kind: string, plural: string, spec: Record<string, unknown>) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.keda.sh` },
    spec: {
      group: 'keda.sh',
      scope: 'Namespaced',
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              required: ['spec'],
              properties: { apiVersion: str, kind: str, metadata: { type: 'object' }, spec },
            },
          },
        },
      ],
    },
  });
  return [
    crd('ScaledObject', 'scaledobjects', {
      type: 'object',
      required: ['scaleTargetRef', 'triggers'],
      properties: {
        scaleTargetRef: {
          type: 'object',
          required: ['name'],
          properties: { apiVersion: str, kind: str, name: str, envSourceContainerName: str },
        },
        minReplicaCount: int,
        maxReplicaCount: int,
        pollingInterval: int,
        cooldownPeriod: int,
        idleReplicaCount: int,
        advanced: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        fallback: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        triggers: {
          type: 'array',
          items: {
            type: 'object',
            required: ['type', 'metadata'],
            properties: {
              type: str,
              name: str,
              useCachedMetrics: { type: 'boolean' },
              metricType: str,
              metadata: { type: 'object', additionalProperties: str },
              authenticationRef: { type: 'object', required: ['name'], properties: { name: str, kind: str } },
            },
          },
        },
      },
    }),
    crd('TriggerAuthentication', 'triggerauthentications', {
      type: 'object',
      properties: {
        podIdentity: {
          type: 'object',
          required: ['provider'],
          properties: {
            provider: { type: 'string', enum: ['none', 'azure-workload', 'aws', 'aws-eks', 'gcp'] },
            identityId: str,
            identityOwner: { type: 'string', enum: ['keda', 'workload'] },
            roleArn: str,
          },
        },
        secretTargetRef: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        env: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    }),
  ];
}
