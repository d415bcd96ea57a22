/**
 * `@speedlayer/kafka/target`: the descriptor of plain `kafka://` (target id `kafka`): any Apache Kafka cluster through
 * the shared driver, without the MSK or EKS SDKs. MSK's own scheme, `msk://`, is the `aws-msk-eks` target. Plain data.
 *
 * @packageDocumentation
 */
import type { StreamCapabilities, StreamConformanceEntry, TargetDescriptor } from '@speedlayer/core';

/** The contract flags of every Kafka cluster; the driver's `kafkaCapabilities(config)` adds the config-dependent ones. */
export const KAFKA_FLAGS = {
  nativeHeaders: true,
  partitions: true,
  partitionGrowth: true,
  nativeConsumerGroups: true,
  timestampSeek: true,
  nativeDeadLetter: false,
  multiProcess: true,
  durable: true,
} as const satisfies Partial<StreamCapabilities>;

/** How Kafka names headers and positions in user-facing text (shared by every Kafka-protocol target's descriptor). */
export const KAFKA_TERMS = { headers: 'Kafka headers', positions: 'Kafka offsets' } as const;

/** The conformance entry of a Kafka-protocol target on the Kafka peer (others spread it with their scheme and name). */
export const kafkaConformance: StreamConformanceEntry = {
  name: 'kafka (PLAINTEXT)',
  scheme: 'kafka',
  peer: 'kafka',
  nativeClient: 'Client',
  config: { maxWaitTimeMs: 100 },
  // Kafka's default group.min.session.timeout.ms is 6000 (also Event Hubs' minimum); the peer runs
  // group.initial.rebalance.delay.ms=0
  subscribeDefaults: { sessionTimeoutMs: 6000 },
  slowness: 2,
};

/** `kafka://host:port[,host:port]`. */
export const kafkaTarget: TargetDescriptor = {
  id: 'kafka',
  title: 'Apache Kafka',
  package: '@speedlayer/kafka',
  streamSchemes: ['kafka'],
  capabilities: KAFKA_FLAGS,
  messagingSystem: 'kafka',
  terms: KAFKA_TERMS,
  baselines: { kafka: { name: 'raw-kafkajs', open: { module: '@speedlayer/bench', export: 'openKafkaBaseline' } } },
  // a Kafka cluster of your own has no price table; bench --with-cost prices it as Amazon MSK
  pricedAs: 'aws-msk-eks',
  conformance: { stream: [kafkaConformance] },
};

/** The package's targets (read by core's registry). */
export const targets: readonly TargetDescriptor[] = [kafkaTarget];
