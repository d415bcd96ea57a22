/**
 * Stream conformance of the `eventhubs://` (AMQP) transport against the Event Hubs AMQP **stand-in** (rhea-based:
 * no real Event Hubs server runs locally) with checkpoints and partition ownership in the real Azurite peer.
 * The stand-in is the `eventhubs-standin` peer process when it is up (`SPEEDLAYER_PEERS=azurite,eventhubs-standin`),
 * otherwise it is started in this process.
 *
 * Keys are routed by the service (the default `keyRouting: 'service'`): the stand-in maps partition keys with the
 * same function `@azure/event-hubs` uses to predict the service's choice, so the partition the producer reports is
 * where the event lands. Whether the real service agrees is checked by the cloud profile (`amqp.e2e.spec.ts`).
 *
 * The suite entry is the descriptor's (`eventhubs` in `@speedlayer/azure-eventhubs-aks/target`: session timeout,
 * slowness, no native client); only its URI and connect options come from the stand-in, once it is up.
 */
import { targetDescriptors } from '@speedlayer/core';
import { streamConformance, streamMatrixOf } from '@speedlayer/testing/conformance';
import { describePeer, injectPeers } from '@speedlayer/testing/peers/vitest';
import { afterAll } from 'vitest';
import { peerTarget, type StandInTarget, startStandInTarget } from './amqp-standin.js';

const descriptors = await targetDescriptors();

describePeer('azurite', 'azure-eventhubs-aks stream (eventhubs:// over AMQP)', (azurite) => {
  const peer = injectPeers()['eventhubs-standin'];
  const container = `conf-${Date.now().toString(36)}`;
  let inProcess: StandInTarget | undefined;
  const ready = (async () => {
    if (peer) return peerTarget(peer, azurite, container);
    inProcess = await startStandInTarget(azurite, container);
    return inProcess;
  })();
  afterAll(async () => {
    await inProcess?.standIn.close();
  });

  const eventhubs = {
    name: `eventhubs AMQP stand-in (${peer ? 'peer process' : 'in process'}) + Azurite checkpoints`,
    uri: async () => (await ready).uri,
    connectOptions: async () => ({ config: (await ready).config }),
  };
  const matrix = streamMatrixOf(descriptors, {
    targets: ['azure-eventhubs-aks'],
    schemes: ['eventhubs'],
    overrides: { eventhubs },
  });
  for (const target of matrix) streamConformance(target);
});
