/**
 * Inversify bindings of the `aws-msk-eks` target: MSK (`msk://`; plain `kafka://` is `@speedlayer/kafka`'s). The main entry stays plain; only this subpath imports
 * inversify (an optional peer dependency of `@speedlayer/core`). Loading the module registers this adapter's
 * factories for its schemes, so the core bindings resolve them from the adapter the container loaded.
 *
 * @example
 * ```ts
 * import { Container } from 'inversify';
 * import { TYPES, coreModule } from '@speedlayer/core/di';
 * import { mskModule } from '@speedlayer/aws-msk-eks/di';
 * const container = new Container();
 * container.bind(TYPES.StreamUri).toConstantValue('msk://arn:aws:kafka:eu-west-1:123456789012:cluster/prod/0a1b2c3d');
 * await container.load(coreModule, mskModule);
 * const client = await container.getAsync(TYPES.StreamClient);
 * ```
 *
 * @packageDocumentation
 */
import { descriptorModule } from '@speedlayer/core/di';
import { streamFactory } from './index.js';
import { mskEksDescriptor } from './target.js';

/** The `aws-msk-eks` container module (see `descriptorModule`): its schemes are its descriptor's. */
export const mskModule = descriptorModule(mskEksDescriptor, { streamFactory });
