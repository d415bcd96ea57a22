/**
 * Workers that authenticate to Kafka as a principal per consumer group (SASL over TLS, Strimzi KafkaUsers or
 * Confluent API keys): each group's Deployment gets its own stream URI and username, the password as a mounted file
 * from a Secret (never an environment variable), optionally a CA; each ScaledObject gets a KEDA TriggerAuthentication
 * reading lag with the same credentials.
 *
 * @packageDocumentation
 */
import { type K8sObject, kafkaKedaTrigger, type WorkerManifestSpec, workerManifests } from './k8s.js';

/** How one group's workers authenticate. */
export interface KafkaGroupCredentials {
  /** The worker's stream URI (`kafka://…?sasl=…&username=…&password=file:/etc/kafka-user/password`). */
  readonly streamUri: string;
  /** SASL username (a literal or a deploy-time `${PLACEHOLDER}`). */
  readonly username: string;
  /** Secret holding the password under the key `password`. */
  readonly passwordSecret: string;
}

/** Options of {@link withKafkaCredentials}. */
export interface KafkaCredentialsOptions {
  readonly namespace: string;
  /** Credentials of a consumer group. */
  readonly group: (group: string) => KafkaGroupCredentials;
  /** A Secret with the cluster CA under `ca.crt`, mounted at `/etc/kafka-ca` and given to KEDA (omit for public CAs). */
  readonly caSecret?: string;
}

/** The file the password Secret is mounted at. */
export const KAFKA_PASSWORD_FILE = '/etc/kafka-user/password';

/** The file the CA Secret is mounted at. */
export const KAFKA_CA_FILE = '/etc/kafka-ca/ca.crt';

/**
 * Rewrites the shared worker manifests ({@link workerManifests}' `worker` and `keda` lists, in place) for per-group
 * Kafka credentials and returns the KEDA objects: one TriggerAuthentication per group before its ScaledObject.
 */
export function withKafkaCredentials(worker: K8sObject[], keda: readonly K8sObject[], o: KafkaCredentialsOptions): K8sObject[] {
  const groupOf = (x: K8sObject) => x.metadata.labels?.['speedlayer.dev/group'] ?? '';
  for (const d of worker) {
    if (d.kind !== 'Deployment') continue;
    const creds = o.group(groupOf(d));
    const pod = (d.spec as { template: { spec: { containers: Record<string, unknown>[]; volumes: unknown[] } } }).template.spec;
    const c = pod.containers[0] as { env: { name: string }[]; volumeMounts: unknown[] };
    c.env = [
      ...c.env.filter((e) => e.name !== 'SPEEDLAYER_STREAM'),
      { name: 'SPEEDLAYER_STREAM', value: creds.streamUri } as { name: string },
      { name: 'KAFKA_USERNAME', value: creds.username } as { name: string },
    ];
    if (o.caSecret) {
      c.volumeMounts.push({ name: 'kafka-ca', mountPath: '/etc/kafka-ca', readOnly: true });
      pod.volumes.push({ name: 'kafka-ca', secret: { secretName: o.caSecret, items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
    }
    c.volumeMounts.push({ name: 'kafka-user', mountPath: '/etc/kafka-user', readOnly: true });
    pod.volumes.push({
      name: 'kafka-user',
      secret: { secretName: creds.passwordSecret, items: [{ key: 'password', path: 'password' }] },
    });
  }
  const out: K8sObject[] = [];
  for (const so of keda) {
    if (so.kind === 'TriggerAuthentication') continue;
    const creds = o.group(groupOf(so));
    const auth = `${so.metadata.name}-kafka`.slice(0, 63);
    for (const t of (so.spec as { triggers: { authenticationRef: { name: string } }[] }).triggers)
      t.authenticationRef = { name: auth };
    out.push(
      {
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'TriggerAuthentication',
        metadata: { name: auth, namespace: o.namespace, labels: so.metadata.labels ?? {} },
        spec: {
          env: [{ parameter: 'username', name: 'KAFKA_USERNAME', containerName: 'worker' }],
          secretTargetRef: [
            { parameter: 'password', name: creds.passwordSecret, key: 'password' },
            ...(o.caSecret ? [{ parameter: 'ca', name: o.caSecret, key: 'ca.crt' }] : []),
          ],
        },
      },
      so,
    );
  }
  return out;
}

/** Options of {@link principalKafkaWorkers}: the worker spec without its groups and KEDA trigger, plus the sign-in. */
export interface PrincipalKafkaWorkersOptions extends Omit<WorkerManifestSpec, 'groups' | 'kedaTrigger'> {
  /** The consumer groups, each with the principal its workers run as. */
  readonly groups: readonly { readonly name: string; readonly principal: string }[];
  /** Autoscaling bounds of every group. */
  readonly replicas: { min: number; max: number };
  /** What KEDA's Kafka scaler reads lag from: the bootstrap servers and its `sasl` mode (`scram_sha512`, `plaintext`). */
  readonly lag: { readonly bootstrapServers: string; readonly sasl: string };
  /** A Secret with the cluster CA (see {@link KafkaCredentialsOptions.caSecret}). */
  readonly caSecret?: string;
  /** How a principal's workers and its KEDA trigger sign in. */
  readonly credentials: (principal: string) => KafkaGroupCredentials;
}

/**
 * The workers of a Kafka target where each consumer group signs in as its own principal (Strimzi's KafkaUsers,
 * Confluent's API keys): {@link workerManifests} with a KEDA Kafka trigger per group (lag threshold 10, from the
 * earliest offset, over TLS), then {@link withKafkaCredentials} with the principal's credentials.
 * @returns the manifests, and the KEDA objects with one TriggerAuthentication per group (use them instead of
 * `manifests.keda`)
 */
export function principalKafkaWorkers(o: PrincipalKafkaWorkersOptions): {
  manifests: ReturnType<typeof workerManifests>;
  keda: K8sObject[];
} {
  const { groups, replicas, lag, caSecret, credentials, ...spec } = o;
  const principalOf = new Map(groups.map((g) => [g.name, g.principal]));
  const manifests = workerManifests({
    ...spec,
    groups: groups.map((g) => ({ name: g.name, replicas })),
    kedaTrigger: (g) =>
      kafkaKedaTrigger({
        bootstrapServers: lag.bootstrapServers,
        consumerGroup: g.name,
        topic: spec.topic,
        lagThreshold: 10,
        extra: { offsetResetPolicy: 'earliest', sasl: lag.sasl, tls: 'enable' },
      }),
  });
  const keda = withKafkaCredentials(manifests.worker, manifests.keda, {
    namespace: spec.namespace,
    ...(caSecret ? { caSecret } : {}),
    group: (g) => credentials(principalOf.get(g) ?? ''),
  });
  return { manifests, keda };
}
