/**
 * Public types of the test-peer launcher: peer names, the status document (`speedlayer peers status --json`)
 * and the options of {@link peersUp}.
 *
 * @packageDocumentation
 */

/**
 * The local servers and tools the launcher manages: real ones, plus `eventhubs-standin`, this package's own
 * Event Hubs AMQP stand-in (no real Event Hubs AMQP server can run locally).
 */
export const PEER_NAMES = [
  'kafka',
  'kafkaAuth',
  'moto',
  'pubsub',
  'azurite',
  'eventhubs-standin',
  'kubernetes',
  'validators',
  'otelcol',
] as const;

/** Name of one test peer. */
export type PeerName = (typeof PEER_NAMES)[number];

/** True when `name` is a known peer name. */
export function isPeerName(name: string): name is PeerName {
  return (PEER_NAMES as readonly string[]).includes(name);
}

/** A SASL/PLAIN user of the local Kafka: the password is in a file (mode 0600), never inline. */
export interface KafkaPlainUser {
  /** SASL username. */
  username: string;
  /** File holding the password. */
  passwordFile: string;
}

/** Apache Kafka (KRaft combined mode) endpoints. */
export interface KafkaStatus {
  /** Broker version, e.g. `3.9.1`. */
  version: string;
  /** PLAINTEXT bootstrap, `127.0.0.1:<port>`. */
  bootstrap: string;
  /** SASL_SSL (PLAIN) bootstrap, `127.0.0.1:<port>`; the server cert is signed by {@link KafkaStatus.caFile}. */
  saslSsl: string;
  /** SASL_PLAINTEXT bootstrap accepting OAUTHBEARER with unsecured (alg `none`) JWTs. */
  oauthbearer: string;
  /** PEM file of the CA that signed the broker's certificate (for `ssl.ca`). */
  caFile: string;
  /** PLAIN users on the SASL_SSL listener (`admin`, `alice`). */
  plainUsers: Record<'admin' | 'alice', KafkaPlainUser>;
  /**
   * File holding an Event-Hubs-style connection string (`Endpoint=sb://...;SharedAccessKeyName=...;SharedAccessKey=...`).
   * It is the password of the PLAIN user `$ConnectionString` on the SASL_SSL listener, as on Event Hubs' Kafka endpoint.
   */
  connectionStringFile: string;
}

/**
 * A second Kafka broker that enforces authentication and ACLs: SASL_SSL with SCRAM-SHA-512 only,
 * `StandardAuthorizer`, `allow.everyone.if.no.acl.found=false`, `admin` the only super user.
 */
export interface KafkaAuthStatus {
  /** Broker version, e.g. `3.9.1`. */
  version: string;
  /** SASL_SSL bootstrap, `127.0.0.1:<port>` (the only client listener). */
  bootstrap: string;
  /** PEM file of the CA that signed the broker's certificate (for `caFile` / `ssl.truststore.location`). */
  caFile: string;
  /** SASL mechanism, as in a `kafka://` URI's `sasl=` parameter. */
  mechanism: 'scram-sha-512';
  /** The super user's name. */
  adminUser: string;
  /** File (mode 0600) holding the super user's password; the password itself is never in the status. */
  adminPasswordFile: string;
  /**
   * Java classpath of Kafka's own tools of the same version (`kafka.admin.ConfigCommand`, `kafka.admin.AclCommand`,
   * `kafka.tools.ConsoleProducer`, `org.apache.kafka.tools.consumer.ConsoleConsumer`).
   */
  toolsClasspath: string;
}

/** moto server: one endpoint for Kinesis, DynamoDB, ECS, MSK (kafka), EKS, CloudFormation, IAM, STS. */
export interface MotoStatus {
  /** moto version. */
  version: string;
  /** `http://127.0.0.1:<port>`: pass as `endpoint` to every AWS SDK client (with any static credentials). */
  endpoint: string;
  /** The region tests should use. */
  region: string;
}

/** Google's Pub/Sub fake (pstest). */
export interface PubsubStatus {
  /** pstest module version. */
  version: string;
  /** `127.0.0.1:<port>`, the value for `PUBSUB_EMULATOR_HOST`. */
  emulatorHost: string;
  /** Project id to use in tests. */
  projectId: string;
}

/** The OpenTelemetry Collector: an OTLP receiver writing what it receives to files. */
export interface OtelcolStatus {
  /** Collector release. */
  version: string;
  /** OTLP/HTTP base URL, the value for `OTEL_EXPORTER_OTLP_ENDPOINT` (protobuf or JSON). */
  otlpHttpEndpoint: string;
  /** OTLP/gRPC URL. */
  otlpGrpcEndpoint: string;
  /** OTLP JSON lines of the traces received. */
  tracesFile: string;
  /** OTLP JSON lines of the metrics received. */
  metricsFile: string;
}

/** Azurite (blob service only). */
export interface AzuriteStatus {
  /** Azurite version. */
  version: string;
  /** `http://127.0.0.1:<port>/devstoreaccount1`. */
  blobEndpoint: string;
  /** Connection string with Azurite's published, well-known development account key (not a secret). */
  connectionString: string;
  /** File holding the same connection string. */
  connectionStringFile: string;
}

/**
 * The Event Hubs stand-in (AMQP 1.0 + an ARM-shaped HTTP management plane); see
 * `packages/testing/src/eventhubs-standin/README.md` for what it implements and cannot prove.
 */
export interface EventHubsStandInStatus {
  /** `standin-<version of @speedlayer/testing>`. */
  version: string;
  /** `sb://127.0.0.1:<port>/`: the `Endpoint` of the connection string (plain AMQP, `UseDevelopmentEmulator=true`). */
  endpoint: string;
  /** `http://127.0.0.1:<port>`: the management plane, used in place of `https://management.azure.com`. */
  managementEndpoint: string;
  /** Subscription id to use in ARM paths (any value is accepted). */
  subscriptionId: string;
  /** Resource group to use in ARM paths (any value is accepted). */
  resourceGroup: string;
  /** Namespace name (the last segment of the namespace resource id). */
  namespace: string;
  /** `/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.EventHub/namespaces/<namespace>`. */
  namespaceResourceId: string;
  /** Name of the namespace's shared access key. */
  keyName: string;
  /**
   * File (mode 0600) with the namespace connection string
   * (`Endpoint=sb://127.0.0.1:<port>/;SharedAccessKeyName=...;SharedAccessKey=...;UseDevelopmentEmulator=true`,
   * no `EntityPath`). The management plane takes a SharedAccessSignature for the namespace signed with its key.
   */
  connectionStringFile: string;
  /** Largest publication (event or batch) accepted, bytes (1 MiB, as on Standard). */
  maxMessageBytes: number;
}

/** kube-apiserver + etcd. */
export interface KubernetesStatus {
  /** Kubernetes version of the API server. */
  version: string;
  /** Kubeconfig (mode 0600) with an admin client certificate (`system:masters`). */
  kubeconfig: string;
  /** `https://127.0.0.1:<port>`. */
  server: string;
  /** CA of the API server's serving certificate. */
  caFile: string;
  /** etcd client URL (for diagnostics). */
  etcd: string;
}

/** Offline IaC validators: absolute paths of the executables. */
export interface ValidatorsStatus {
  /** `cfn-lint` executable (never run it with `--update-specs`). */
  cfnLint: string;
  /** `checkov` executable (run it with `--skip-download` and `CKV_SKIP_PACKAGE_UPDATE_CHECK=true`). */
  checkov: string;
  /** OpenTofu `tofu` executable (`tofu fmt -check` works offline; `validate` needs providers). */
  tofu: string;
  /** conftest executable (OPA/Rego policies over Terraform, CloudFormation and Kubernetes files). */
  conftest: string;
  /** Prometheus `promtool` executable (`check rules`, `test rules`). */
  promtool: string;
  /** Environment to run the validators with (offline switches). */
  env: Record<string, string>;
}

/** Stream URIs, one per stream target whose adapter package is installed, that reach the local peers. */
export type StreamUris = Partial<Record<string, string>>;

/**
 * What `speedlayer peers status --json` prints: only peers that are up, plus `streams`.
 */
export interface PeersStatus {
  /** Apache Kafka, when up. */
  kafka?: KafkaStatus;
  /** The Kafka broker with SASL_SSL/SCRAM and ACLs enforced, when up. */
  kafkaAuth?: KafkaAuthStatus;
  /** moto server, when up. */
  moto?: MotoStatus;
  /** pstest, when up. */
  pubsub?: PubsubStatus;
  /** Azurite blob, when up. */
  azurite?: AzuriteStatus;
  /** The Event Hubs stand-in, when up. */
  'eventhubs-standin'?: EventHubsStandInStatus;
  /** kube-apiserver + etcd, when up. */
  kubernetes?: KubernetesStatus;
  /** Validators, when installed. */
  validators?: ValidatorsStatus;
  /** The OpenTelemetry Collector, when up. */
  otelcol?: OtelcolStatus;
  /** Stream URIs by target scheme (`local`, `kafka`, `kinesis`, `pubsub`, `eventhubs+kafka`, ...). */
  streams: StreamUris;
}

/** Status document of one peer, by name. */
export type PeerStatusOf<N extends PeerName> = NonNullable<PeersStatus[N]>;

/** Where a line of progress goes. Lines never contain secrets. */
export type PeerLog = (line: string) => void;

/** Options of {@link peersUp}. */
export interface PeersUpOptions {
  /** Progress lines (default: none). */
  log?: PeerLog;
  /** Seconds to wait for each peer to answer after start (default per peer). */
  startTimeoutSeconds?: number;
}

/** Options of {@link peersDown}. */
export interface PeersDownOptions {
  /** Progress lines (default: none). */
  log?: PeerLog;
}

/** Time spent per peer by one {@link peersUp} call. */
export interface PeerTiming {
  /** Milliseconds spent installing (absent when the cache was complete). */
  installMs?: number;
  /** Milliseconds from spawn until the peer answered a real request (absent when reused). */
  startMs?: number;
}

/** Result of {@link peersUp}. */
export interface PeersUpResult {
  /** Status after the call (all peers that are up, not only the requested ones). */
  status: PeersStatus;
  /** Peers this call started. */
  started: PeerName[];
  /** Peers that were already up and answered, and were reused. */
  reused: PeerName[];
  /** Install and start times per requested peer. */
  timings: Partial<Record<PeerName, PeerTiming>>;
}
