/**
 * The security baseline every emitter applies, as data (so tests can assert each control is present) and as
 * reusable fragments (pod and container security contexts). Also a scanner that refuses secret values in IaC.
 *
 * @packageDocumentation
 */

/** One control of the baseline. */
export interface SecurityControl {
  /** Stable id, e.g. `tls-in-transit`. */
  readonly id: string;
  /** What the control requires. */
  readonly requirement: string;
}

/** The baseline, in the order of DESIGN.md "Plan and emit". */
export const SECURITY_BASELINE = [
  {
    id: 'tls-in-transit',
    requirement: 'TLS for every client connection and inside the cluster (broker to broker, pod to service).',
  },
  { id: 'encryption-at-rest-cmk', requirement: 'Data at rest encrypted with a customer-managed key that rotates.' },
  {
    id: 'private-networking',
    requirement: 'Private endpoints / private cluster endpoints; no public access to the stream or control plane.',
  },
  { id: 'least-privilege', requirement: 'IAM permissions scoped to the one stream/topic and its consumer groups.' },
  { id: 'workload-identity', requirement: 'IRSA / Azure workload identity / GKE Workload Identity; no long-lived keys.' },
  { id: 'no-secret-values', requirement: 'No secret value in IaC: references only.' },
  {
    id: 'pod-hardening',
    requirement: 'Pods non-root, read-only root filesystem, all capabilities dropped, no privilege escalation, seccomp.',
  },
  { id: 'network-policy', requirement: 'NetworkPolicy: default deny, explicit egress to DNS and the stream endpoint only.' },
  { id: 'resources', requirement: 'CPU and memory requests and limits on every container.' },
  { id: 'disruption-budget', requirement: 'PodDisruptionBudget per worker deployment.' },
  { id: 'monitoring', requirement: 'Metrics hooks (MSK open monitoring, Prometheus scrape) and log delivery.' },
  { id: 'audit-logging', requirement: 'Control-plane audit logging enabled.' },
] as const satisfies readonly SecurityControl[];

/** Id of a baseline control. */
export type SecurityControlId = (typeof SECURITY_BASELINE)[number]['id'];

/** UID/GID the worker runs as (above 10000, so it never maps to a host user). */
export const WORKER_UID = 10001;

/** Pod-level security context of every worker pod. */
export const POD_SECURITY_CONTEXT = {
  runAsNonRoot: true,
  runAsUser: WORKER_UID,
  runAsGroup: WORKER_UID,
  fsGroup: WORKER_UID,
  seccompProfile: { type: 'RuntimeDefault' },
} as const;

/** Container-level security context of every worker container. */
export const CONTAINER_SECURITY_CONTEXT = {
  runAsNonRoot: true,
  runAsUser: WORKER_UID,
  runAsGroup: WORKER_UID,
  allowPrivilegeEscalation: false,
  privileged: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
} as const;

const SECRET_PATTERNS: { name: string; re: RegExp }[] = [
  { name: 'AWS access key id', re: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { name: 'private key', re: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  { name: 'connection string key', re: /(SharedAccessKey|AccountKey)=[^;"'\s$]{8,}/i },
  { name: 'SAS signature', re: /[?&]sig=[A-Za-z0-9%+/=]{16,}/ },
  {
    name: 'password literal',
    re: /\b(password|passwd|secret|client_secret|secret_access_key|access_key|api_key|token)\s*[:=]\s*["'][^"'$\s{]{6,}["']/i,
  },
  { name: 'GCP service account key', re: /"private_key_id"\s*:/ },
];

/**
 * Finds secret-looking values in emitted text (keys, passwords, connection-string keys).
 * @returns the names of the patterns found, empty when clean.
 */
export function findSecretValues(text: string): string[] {
  return SECRET_PATTERNS.filter((p) => p.re.test(text)).map((p) => p.name);
}

/**
 * Refuses a file that contains a secret value.
 * @throws Error naming the file and the kind of secret found.
 */
export function assertNoSecretValues(path: string, text: string): void {
  const found = findSecretValues(text);
  if (found.length > 0) throw new Error(`${path}: refusing to emit a secret value (${found.join(', ')}); use a reference`);
}
