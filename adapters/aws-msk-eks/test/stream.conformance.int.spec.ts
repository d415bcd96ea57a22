/**
 * Stream conformance matrix of the Kafka / MSK adapter against the real Kafka peer (Apache Kafka 3.9 KRaft):
 * once over PLAINTEXT, once over SASL_SSL (PLAIN, user alice, password by file reference, the peer's CA).
 */

import { streamConformance } from '@speedlayer/testing/conformance';
import { describePeer } from '@speedlayer/testing/peers/vitest';

describePeer('kafka', 'aws-msk-eks stream', (kafka) => {
  // Kafka's default group.min.session.timeout.ms is 6000; the peer runs group.initial.rebalance.delay.ms=0.
  const subscribeDefaults = { sessionTimeoutMs: 6000 };
  const config = { maxWaitTimeMs: 100 };

  streamConformance({
    name: 'kafka (PLAINTEXT)',
    nativeClient: 'Client',
    uri: `kafka://${kafka.bootstrap}`,
    connectOptions: { config },
    subscribeDefaults,
    slowness: 2,
  });

  streamConformance({
    name: 'kafka (SASL_SSL, PLAIN)',
    nativeClient: 'Client',
    uri: `kafka://${kafka.saslSsl}`,
    connectOptions: {
      config: {
        ...config,
        caFile: kafka.caFile,
        sasl: {
          mechanism: 'plain',
          username: kafka.plainUsers.alice.username,
          password: `file:${kafka.plainUsers.alice.passwordFile}`,
        },
      },
    },
    subscribeDefaults,
    slowness: 2,
  });
});
