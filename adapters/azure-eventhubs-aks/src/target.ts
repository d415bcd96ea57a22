/**
 * `@speedlayer/azure-eventhubs-aks/target`: the descriptor of the Event Hubs + AKS target (`eventhubs://<namespace>`
 * over AMQP, `eventhubs+kafka://<namespace>` through the Kafka endpoint). Plain data: the stream factory, limits,
 * prices and planning profile it names load only when used.
 *
 * @packageDocumentation
 */
import { defineTarget, type TargetDescriptor } from '@speedlayer/core';
import { kafkaConformance } from '@speedlayer/kafka/target';

/** `azure-eventhubs-aks`. */
export const eventHubsAksDescriptor: TargetDescriptor = defineTarget({
  id: 'azure-eventhubs-aks',
  title: 'Azure Event Hubs + AKS',
  package: '@speedlayer/azure-eventhubs-aks',
  streamSchemes: ['eventhubs', 'eventhubs+kafka'],
  deploy: { compute: 'aks://', workload: 'kubernetes' },
  planExports: { limits: 'EH_LIMITS', prices: 'EH_AKS_PRICES' },
  conformance: {
    stream: [
      {
        // the project's AMQP stand-in (no Event Hubs server runs locally); ownership expires after 3 s
        name: 'eventhubs AMQP stand-in + Azurite checkpoints',
        scheme: 'eventhubs',
        peer: 'eventhubs-standin',
        nativeClient: false,
        subscribeDefaults: { sessionTimeoutMs: 3000 },
        slowness: 2,
      },
      { ...kafkaConformance, name: 'eventhubs+kafka (SASL_SSL, PLAIN $ConnectionString)', scheme: 'eventhubs+kafka' },
    ],
  },
});

/** The package's targets (read by core's registry). */
export const targets: readonly TargetDescriptor[] = [eventHubsAksDescriptor];
