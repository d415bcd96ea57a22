/**
 * Inversify bindings of the local target: registers the local factories under the core tokens' companions.
 *
 * @example
 * ```ts
 * import { Container } from 'inversify';
 * import { TYPES, coreModule } from '@speedlayer/core/di';
 * import { localModule, LOCAL_TYPES } from '@speedlayer/local/di';
 * const container = new Container();
 * container.bind(TYPES.StreamUri).toConstantValue('local://./data');
 * await container.load(coreModule, localModule);
 * const compute = await container.getAsync(LOCAL_TYPES.LocalCompute);
 * ```
 *
 * @packageDocumentation
 */
import { parseUri } from '@speedlayer/core';
import { TYPES } from '@speedlayer/core/di';
import { ContainerModule, type ServiceIdentifier } from 'inversify';
import { createLocalCompute, type LocalCompute } from './compute.js';

/** Tokens of the local bindings. */
export const LOCAL_TYPES = {
  /** Local compute for the bound stream URI's data directory. */
  LocalCompute: Symbol.for('speedlayer.local.LocalCompute') as ServiceIdentifier<LocalCompute>,
} as const;

/** Binds {@link LOCAL_TYPES.LocalCompute} from the core token `TYPES.StreamUri`. */
export const localModule = new ContainerModule(({ bind }) => {
  bind(LOCAL_TYPES.LocalCompute)
    .toResolvedValue((uri: string) => createLocalCompute(parseUri(uri)), [TYPES.StreamUri])
    .inSingletonScope()
    .onDeactivation((c) => c.close());
});
