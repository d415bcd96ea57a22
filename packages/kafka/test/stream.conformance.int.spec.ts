/**
 * Stream conformance of plain `kafka://` (the shared driver `@speedlayer/kafka`, the `kafka` target's descriptor entry)
 * against the real Kafka peer (Apache Kafka 3.9 KRaft): once over PLAINTEXT, once over SASL_SSL (PLAIN, user alice,
 * password by file reference, the peer's CA).
 */
import { targetDescriptors } from '@speedlayer/core';
import { streamConformance, streamMatrixOf } from '@speedlayer/testing/conformance';
import { describePeer } from '@speedlayer/testing/peers/vitest';

const descriptors = await targetDescriptors();

describePeer('kafka', 'kafka stream', (kafka) => {
  const [plain] = streamMatrixOf(descriptors, { targets: ['kafka'], streams: { kafka: `kafka://${kafka.bootstrap}` } });
  if (!plain) throw new Error('the kafka target has no conformance entry');
  streamConformance(plain);

  streamConformance({
    ...plain,
    name: 'kafka (SASL_SSL, PLAIN)',
    uri: `kafka://${kafka.saslSsl}`,
    connectOptions: {
      config: {
        ...(plain.connectOptions as { config?: Record<string, unknown> }).config,
        caFile: kafka.caFile,
        sasl: {
          mechanism: 'plain',
          username: kafka.plainUsers.alice.username,
          password: `file:${kafka.plainUsers.alice.passwordFile}`,
        },
      },
    },
  });
});
