/**
 * Inversify bindings of the `gcp-pubsub-gke` target: Pub/Sub (`pubsub://`). The main entry stays plain; only this subpath imports
 * inversify (an optional peer dependency of `@speedlayer/core`). Loading the module registers this adapter's
 * factories for its schemes, so the core bindings resolve them from the adapter the container loaded.
 *
 * @example
 * ```ts
 * import { Container } from 'inversify';
 * import { TYPES, coreModule } from '@speedlayer/core/di';
 * import { pubSubModule } from '@speedlayer/gcp-pubsub-gke/di';
 * const container = new Container();
 * container.bind(TYPES.StreamUri).toConstantValue('pubsub://my-project');
 * await container.load(coreModule, pubSubModule);
 * const client = await container.getAsync(TYPES.StreamClient);
 * ```
 *
 * @packageDocumentation
 */
import { descriptorModule } from '@speedlayer/core/di';
import { streamFactory } from './index.js';
import { pubsubGkeDescriptor } from './target.js';

/** The `gcp-pubsub-gke` container module (see `descriptorModule`): its schemes are its descriptor's. */
export const pubSubModule = descriptorModule(pubsubGkeDescriptor, { streamFactory });
