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
import type { ComputeClient, ComputeFactory } from './compute.js';
import type { TargetDescriptor } from './descriptor.js';
import { connect, createCompute, registerComputeTarget, registerStreamTarget } from './registry.js';
import type { ConnectOptions, StreamClient, StreamFactory } from './stream.js';

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
  /** One {@link TargetBindings} per loaded adapter module (`container.getAll(TYPES.Target)`). */
  Target: Symbol.for('speedlayer.Target') as ServiceIdentifier<TargetBindings>,
} as const;

/** What an adapter's DI module (on its `./di` subpath) contributes: its schemes wired to its factories. */
export interface TargetBindings {
  /** Target id, e.g. `aws-kinesis-ecs`. */
  readonly target: string;
  /** The adapter's package name. */
  readonly module: string;
  /** Stream URI schemes served by {@link TargetBindings.streamFactory}. */
  readonly streamSchemes?: readonly string[];
  /** The adapter's stream factory. */
  readonly streamFactory?: StreamFactory;
  /** Compute URI schemes served by {@link TargetBindings.computeFactory}. */
  readonly computeSchemes?: readonly string[];
  /** The adapter's compute factory. */
  readonly computeFactory?: ComputeFactory;
}

/**
 * The container module of one adapter: binds its {@link TargetBindings} under {@link TYPES.Target} and registers
 * its factories in-process, so `TYPES.StreamClient` / `TYPES.ComputeClient` for its schemes use the adapter the
 * container loaded (no import by package name at connect time; works in bundles).
 */
export function targetModule(bindings: TargetBindings): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TYPES.Target).toConstantValue(bindings);
    const { target, module, streamFactory, computeFactory } = bindings;
    if (streamFactory) {
      for (const scheme of bindings.streamSchemes ?? []) registerStreamTarget(scheme, { target, module, factory: streamFactory });
    }
    if (computeFactory) {
      for (const scheme of bindings.computeSchemes ?? [])
        registerComputeTarget(scheme, { target, module, factory: computeFactory });
    }
  });
}

/**
 * The container module of the target a descriptor describes: its id, package and schemes from the descriptor, with
 * the factories given (see {@link targetModule}).
 */
export function descriptorModule(
  descriptor: TargetDescriptor,
  factories: { streamFactory?: StreamFactory; computeFactory?: ComputeFactory },
): ContainerModule {
  return targetModule({
    target: descriptor.id,
    module: descriptor.package,
    streamSchemes: descriptor.streamSchemes,
    computeSchemes: descriptor.computeSchemes ?? [],
    ...factories,
  });
}

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
