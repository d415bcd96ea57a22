/**
 * The test-peer launcher (`@speedlayer/testing/peers`): real local servers for integration tests — Apache Kafka
 * (KRaft), moto server, Google's pstest, Azurite, kube-apiserver + etcd — the project's Event Hubs AMQP stand-in
 * (`eventhubs-standin`, where no real server can run) and the offline IaC validators
 * (cfn-lint, checkov, OpenTofu). Each is installed on first use into a versioned cache outside the repository
 * (`$SPEEDLAYER_CACHE`, else `$XDG_CACHE_HOME/speedlayer`, else `~/.cache/speedlayer`), started on loopback
 * ports as a detached process group, and recorded in a state file.
 *
 * @example
 * ```ts
 * import { peersUp, peersStatus, peersDown } from '@speedlayer/testing/peers';
 * await peersUp(['kafka', 'moto'], { log: (l) => console.error(l) });
 * const { kafka, streams } = await peersStatus();
 * // kafka.bootstrap === '127.0.0.1:9092'; streams.local === 'local:///home/me/.cache/speedlayer/local-data'
 * await peersDown();
 * ```
 *
 * @packageDocumentation
 */

export { CommandError, cacheRoot, PeerError, PortInUseError } from './common.js';
export {
  type KafkaPruneResult,
  type PrivateKafka,
  type PrivateKafkaOptions,
  pruneIdleKafkaTopics,
  startPrivateKafka,
} from './kafka.js';
export {
  ensureKafkaAuthUser,
  type KafkaAuthUser,
  kafkaToolsClasspath,
  writeKafkaAuthClientProperties,
} from './kafka-auth.js';
export {
  PEERS,
  type PeerReportRow,
  PeersUpError,
  parsePeerNames,
  peersDown,
  peersReport,
  peersStatus,
  peersUp,
} from './launcher.js';
export { freePorts, type PrivatePeerCache, usePrivatePeerCache } from './private-cache.js';
export { packageAvailable, STREAM_TARGETS, type StreamTargetRow, streamUris } from './streams.js';
export {
  type AzuriteStatus,
  type EventHubsStandInStatus,
  isPeerName,
  type KafkaAuthStatus,
  type KafkaPlainUser,
  type KafkaStatus,
  type KubernetesStatus,
  type MotoStatus,
  PEER_NAMES,
  type PeerLog,
  type PeerName,
  type PeerStatusOf,
  type PeersDownOptions,
  type PeersStatus,
  type PeersUpOptions,
  type PeersUpResult,
  type PeerTiming,
  type PubsubStatus,
  type StreamUris,
  type ValidatorsStatus,
} from './types.js';
export { VALIDATOR_ENV } from './validators.js';
