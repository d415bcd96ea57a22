/**
 * Stream conformance of the `eventhubs+kafka://` transport against the real Kafka peer's SASL_SSL listener set up
 * as Event Hubs' Kafka endpoint is: PLAIN with the user `$ConnectionString`, whose password is an
 * Event-Hubs-style connection string (by file reference), TLS with the peer's CA. The URI is exactly the one
 * `speedlayer peers status --json` lists under `streams["eventhubs+kafka"]`. Default tier (standard): partition
 * growth is declared absent, so the growth step asserts the `UnsupportedError`. The matrix entry is the descriptor's.
 */
import { targetDescriptors } from '@speedlayer/core';
import { streamConformance, streamMatrixOf } from '@speedlayer/testing/conformance';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { expect, it } from 'vitest';

const descriptors = await targetDescriptors();

describePeer('kafka', 'azure-eventhubs-aks eventhubs+kafka stream', (kafka, all) => {
  const uri = all.streams['eventhubs+kafka'];

  it('the peers list the eventhubs+kafka URI on the SASL_SSL listener, by reference only', () => {
    expect(uri).toBe(
      `eventhubs+kafka://${kafka.saslSsl}?connectionString=file:${kafka.connectionStringFile}&caFile=${kafka.caFile}`,
    );
  });

  for (const target of streamMatrixOf(descriptors, {
    targets: ['azure-eventhubs-aks'],
    schemes: ['eventhubs+kafka'],
    streams: all.streams,
  })) {
    streamConformance(target);
  }
});
