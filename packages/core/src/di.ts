/**
 * Inversify bindings for teams that use dependency injection. The main entry stays plain; only this subpath
 * imports inversify. Bind {@link TYPES.StreamUri} (and optionally {@link TYPES.ComputeUri}), load
 * {@link coreModule}, then `await container.getAsync(TYPES.StreamClient)`.
 *
 * @example
 * ```ts
 * import { Container } from 'inversify';
 * import { TYPES, coreModule } from '@speedlayer/core/di';
 * const container = new Container();
 * container.bind(TYPES.StreamUri).toConstantValue('local://./data');
 * await container.load(coreModule);
 * const client = await container.getAsync(TYPES.StreamClient);
 * ```
 *
 * @packageDocumentation
 */
import { ContainerModule, type ServiceIdentifier } from 'inversify';
import type { ComputeClient } from './compute.js';
import { connect, createCompute } from './registry.js';
import type { ConnectOptions, StreamClient } from './stream.js';

/** Symbol tokens of the core bindings. */
export const TYPES = {
  /** The stream URI to connect to (bind it yourself). */
  StreamUri: Symbol.for('speedlayer.StreamUri') as ServiceIdentifier<string>,
  /** Options passed to `connect` (optional; defaults to `{}`). */
  ConnectOptions: Symbol.for('speedlayer.ConnectOptions') as ServiceIdentifier<ConnectOptions>,
  /** The connected stream client (singleton). */
  StreamClient: Symbol.for('speedlayer.StreamClient') as ServiceIdentifier<StreamClient>,
  /** The compute URI (bind it yourself to use ComputeClient). */
  ComputeUri: Symbol.for('speedlayer.ComputeUri') as ServiceIdentifier<string>,
  /** The compute client (singleton). */
  ComputeClient: Symbol.for('speedlayer.ComputeClient') as ServiceIdentifier<ComputeClient>,
} as const;

/** Binds StreamClient and ComputeClient with factory functions (no decorators on our classes). */
export const coreModule = new ContainerModule(({ bind, isBound }) => {
  if (!isBound(TYPES.ConnectOptions)) bind(TYPES.ConnectOptions).toConstantValue({});
  bind(TYPES.StreamClient)
    .toResolvedValue((uri: string, options: ConnectOptions) => connect(uri, options), [TYPES.StreamUri, TYPES.ConnectOptions])
    .inSingletonScope()
    .onDeactivation((client) => client.close());
  bind(TYPES.ComputeClient)
    .toResolvedValue((uri: string) => createCompute(uri), [TYPES.ComputeUri])
    .inSingletonScope()
    .onDeactivation((client) => client.close());
});
