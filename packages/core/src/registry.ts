/**
 * The target registry: which package serves which URI scheme. `connect()` and `createCompute()` load the
 * adapter package on first use, so core never imports an adapter. Adding a target is one line here (or a
 * call to {@link registerStreamTarget} from the application).
 *
 * @packageDocumentation
 */
import type { ComputeClient, ComputeFactory } from './compute.js';
import { ConfigError } from './errors.js';
import { PortableStreamClient } from './portable.js';
import type { ConnectOptions, StreamClient, StreamFactory } from './stream.js';
import { parseUri } from './uri.js';

/** A stream target known to the registry. */
export interface StreamTargetEntry {
  /** Target id, e.g. `aws-msk-eks`. */
  target: string;
  /** Package that exports `streamFactory` for it. */
  module: string;
  /** Factory registered in-process (takes precedence over `module`). */
  factory?: StreamFactory;
}

/** A compute target known to the registry. */
export interface ComputeTargetEntry {
  /** Target id. */
  target: string;
  /** Package that exports `computeFactory` for it. */
  module: string;
  /** Factory registered in-process. */
  factory?: ComputeFactory;
}

const streamTargets = new Map<string, StreamTargetEntry>([
  ['local', { target: 'local', module: '@speedlayer/local' }],
  ['memory', { target: 'memory', module: '@speedlayer/local' }],
  ['kafka', { target: 'aws-msk-eks', module: '@speedlayer/aws-msk-eks' }],
  ['msk', { target: 'aws-msk-eks', module: '@speedlayer/aws-msk-eks' }],
  ['kinesis', { target: 'aws-kinesis-ecs', module: '@speedlayer/aws-kinesis-ecs' }],
  ['eventhubs', { target: 'azure-eventhubs-aks', module: '@speedlayer/azure-eventhubs-aks' }],
  ['eventhubs+kafka', { target: 'azure-eventhubs-aks', module: '@speedlayer/azure-eventhubs-aks' }],
  ['pubsub', { target: 'gcp-pubsub-gke', module: '@speedlayer/gcp-pubsub-gke' }],
]);

const computeTargets = new Map<string, ComputeTargetEntry>([
  ['local', { target: 'local', module: '@speedlayer/local' }],
  ['kubernetes', { target: 'kubernetes', module: '@speedlayer/compute-kubernetes' }],
  ['eks', { target: 'aws-msk-eks', module: '@speedlayer/compute-kubernetes' }],
  ['aks', { target: 'azure-eventhubs-aks', module: '@speedlayer/compute-kubernetes' }],
  ['gke', { target: 'gcp-pubsub-gke', module: '@speedlayer/compute-kubernetes' }],
  ['ecs', { target: 'aws-kinesis-ecs', module: '@speedlayer/aws-kinesis-ecs' }],
]);

/** Registers (or replaces) a stream scheme, e.g. for a fifth target or a test double. */
export function registerStreamTarget(scheme: string, entry: StreamTargetEntry): void {
  streamTargets.set(scheme.toLowerCase(), entry);
}

/** Registers (or replaces) a compute scheme. */
export function registerComputeTarget(scheme: string, entry: ComputeTargetEntry): void {
  computeTargets.set(scheme.toLowerCase(), entry);
}

/** The stream schemes the registry knows. */
export function streamSchemes(): string[] {
  return [...streamTargets.keys()];
}

/** The compute schemes the registry knows. */
export function computeSchemes(): string[] {
  return [...computeTargets.keys()];
}

async function loadExport<T>(module: string, name: string, scheme: string, field: string): Promise<T> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(module)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as { code?: string }).code;
    // Node says "Cannot find package '<name>' imported from ...": match the quoted name, so a dependency missing
    // inside the adapter (e.g. its vendor SDK) is not reported as the adapter itself
    if (code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(`'${module}'`)) {
      throw new ConfigError(
        `${field}: scheme "${scheme}://" needs the package ${module}; install it with npm install ${module}`,
        {
          field,
          cause: e,
        },
      );
    }
    throw e;
  }
  const fn = mod[name];
  if (typeof fn !== 'function') {
    throw new ConfigError(`${field}: package ${module} does not export ${name} for scheme "${scheme}://"`, { field });
  }
  return fn as T;
}

/**
 * Connects to a stream target named by a URI: `local://./data` (the default embedded target),
 * `memory://name`, `kafka://host:9092`, `msk://<arn>`, `kinesis://<region>`, `eventhubs://<namespace>`,
 * `eventhubs+kafka://<namespace>`, `pubsub://<project>`. The adapter's driver is wrapped in the portable client
 * ({@link PortableStreamClient}): batching of concurrent sends, one lifecycle, validation, middleware, `as()`.
 * @throws {@link ConfigError} for an unknown scheme or invalid config (field `uri` or the config field).
 */
export async function connect(uri: string, options: ConnectOptions = {}): Promise<StreamClient> {
  const parsed = parseUri(uri, 'uri');
  const entry = streamTargets.get(parsed.scheme);
  if (!entry) {
    throw new ConfigError(
      `uri: unknown stream scheme "${parsed.scheme}://"; known: ${[...streamTargets.keys()].map((s) => `${s}://`).join(', ')}`,
      { field: 'uri' },
    );
  }
  const factory = entry.factory ?? (await loadExport<StreamFactory>(entry.module, 'streamFactory', parsed.scheme, 'uri'));
  return new PortableStreamClient(await factory(parsed, options), options);
}

/**
 * Creates a compute client: `local://./data` (one OS process per replica), `kubernetes://[context]`,
 * `eks://`, `aks://`, `gke://` (a kubeconfig), `ecs://<region>/<cluster>`.
 * @throws {@link ConfigError} for an unknown scheme.
 */
export async function createCompute(uri: string, options: { config?: Record<string, unknown> } = {}): Promise<ComputeClient> {
  const parsed = parseUri(uri, 'compute');
  const entry = computeTargets.get(parsed.scheme);
  if (!entry) {
    throw new ConfigError(
      `compute: unknown compute scheme "${parsed.scheme}://"; known: ${[...computeTargets.keys()].map((s) => `${s}://`).join(', ')}`,
      { field: 'compute' },
    );
  }
  const factory = entry.factory ?? (await loadExport<ComputeFactory>(entry.module, 'computeFactory', parsed.scheme, 'compute'));
  return factory(parsed, options);
}
