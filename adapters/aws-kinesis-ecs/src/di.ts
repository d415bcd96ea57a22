/**
 * Inversify bindings of the `aws-kinesis-ecs` target: Kinesis Data Streams (`kinesis://`) and ECS compute (`ecs://`). The main entry stays plain; only this subpath imports
 * inversify (an optional peer dependency of `@speedlayer/core`). Loading the module registers this adapter's
 * factories for its schemes, so the core bindings resolve them from the adapter the container loaded.
 *
 * @example
 * ```ts
 * import { Container } from 'inversify';
 * import { TYPES, coreModule } from '@speedlayer/core/di';
 * import { kinesisModule } from '@speedlayer/aws-kinesis-ecs/di';
 * const container = new Container();
 * container.bind(TYPES.StreamUri).toConstantValue('kinesis://us-east-1');
 * await container.load(coreModule, kinesisModule);
 * const client = await container.getAsync(TYPES.StreamClient);
 * ```
 *
 * @packageDocumentation
 */
import { descriptorModule } from '@speedlayer/core/di';
import { computeFactory, streamFactory } from './index.js';
import { kinesisEcsDescriptor } from './target.js';

/** The `aws-kinesis-ecs` container module (see `descriptorModule`): its schemes are its descriptor's. */
export const kinesisModule = descriptorModule(kinesisEcsDescriptor, { streamFactory, computeFactory });
