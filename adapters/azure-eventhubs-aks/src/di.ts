/**
 * Inversify bindings of the `azure-eventhubs-aks` target: Event Hubs over AMQP (`eventhubs://`) and its Kafka endpoint (`eventhubs+kafka://`). The main entry stays plain; only this subpath imports
 * inversify (an optional peer dependency of `@speedlayer/core`). Loading the module registers this adapter's
 * factories for its schemes, so the core bindings resolve them from the adapter the container loaded.
 *
 * @example
 * ```ts
 * import { Container } from 'inversify';
 * import { TYPES, coreModule } from '@speedlayer/core/di';
 * import { eventHubsModule } from '@speedlayer/azure-eventhubs-aks/di';
 * const container = new Container();
 * container.bind(TYPES.StreamUri).toConstantValue('eventhubs://my-namespace');
 * await container.load(coreModule, eventHubsModule);
 * const client = await container.getAsync(TYPES.StreamClient);
 * ```
 *
 * @packageDocumentation
 */
import { descriptorModule } from '@speedlayer/core/di';
import { streamFactory } from './index.js';
import { eventHubsAksDescriptor } from './target.js';

/** The `azure-eventhubs-aks` container module (see `descriptorModule`): its schemes are its descriptor's. */
export const eventHubsModule = descriptorModule(eventHubsAksDescriptor, { streamFactory });
