/**
 * The target registry: which package serves which URI scheme, read from the targets' descriptors
 * ({@link TargetDescriptor}). {@link TARGET_REGISTRY} lists each adapter's light `./target` module, one line per
 * adapter; `connect()` and `createCompute()` load the descriptor for a scheme, then the factory it names, on first
 * use, so core never imports an adapter. The planner, the CLI and the conformance matrix read the same descriptors
 * through {@link targetDescriptors}. Adding a target = one adapter folder + one line in {@link TARGET_REGISTRY} (or a
 * call to {@link registerTarget} from the application).
 *
 * @packageDocumentation
 */
import type { ComputeClient, ComputeFactory } from './compute.js';
import { computeFactoryRef, type ExportRef, streamFactoryRef, type TargetDescriptor, type TargetModule } from './descriptor.js';
import { ConfigError } from './errors.js';
import { builtInTargets, describedTarget, registeredTargets } from './known-targets.js';
import { PortableStreamClient } from './portable.js';
import type { ConnectOptions, StreamClient, StreamFactory } from './stream.js';
import { parseUri } from './uri.js';

export { describedTarget } from './known-targets.js';

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

/**
 * One line of {@link TARGET_REGISTRY}: an adapter's `./target` module (exporting `targets`) and the URI schemes its
 * descriptors serve, so that a scheme whose package is not installed is named without loading anything. The
 * schemes must equal the descriptors' (a unit test checks every line).
 */
export interface TargetRegistryLine {
  /** Specifier of the module exporting `targets: TargetDescriptor[]`, e.g. `@speedlayer/aws-kinesis-ecs/target`. */
  readonly module: string;
  /** Stream schemes its descriptors serve. */
  readonly streams?: readonly string[];
  /** Compute schemes its descriptors serve. */
  readonly computes?: readonly string[];
}

/**
 * The built-in targets, one line per adapter, in listing order (`plan --target all`, `compare`). Adding a target is
 * one line here.
 */
export const TARGET_REGISTRY: readonly TargetRegistryLine[] = [
  { module: '@speedlayer/local/target', streams: ['local', 'memory'], computes: ['local'] },
  { module: '@speedlayer/kafka/target', streams: ['kafka'] },
  { module: '@speedlayer/aws-msk-eks/target', streams: ['msk'] },
  { module: '@speedlayer/compute-kubernetes/target', computes: ['kubernetes', 'eks', 'aks', 'gke'] },
  { module: '@speedlayer/aws-kinesis-ecs/target', streams: ['kinesis'], computes: ['ecs'] },
  { module: '@speedlayer/azure-eventhubs-aks/target', streams: ['eventhubs', 'eventhubs+kafka'] },
  { module: '@speedlayer/gcp-pubsub-gke/target', streams: ['pubsub'] },
  { module: '@speedlayer/azure-kafka-aks/target' },
  { module: '@speedlayer/confluent-cloud/target' },
];

// Schemes registered by registerStreamTarget / registerComputeTarget (DI modules, test doubles): checked first.
const streamOverrides = new Map<string, StreamTargetEntry>();
const computeOverrides = new Map<string, ComputeTargetEntry>();
// Descriptors registered in-process by registerTarget, by id (shared with describedTarget's synchronous lookup).
const registered = registeredTargets;
// Loaded ./target modules: the module's descriptors, or null when its package is not installed.
const loaded = new Map<string, Promise<readonly TargetDescriptor[] | null>>();

/** Registers (or replaces) a stream scheme, e.g. for a fifth target or a test double. */
export function registerStreamTarget(scheme: string, entry: StreamTargetEntry): void {
  streamOverrides.set(scheme.toLowerCase(), entry);
}

/** Registers (or replaces) a compute scheme. */
export function registerComputeTarget(scheme: string, entry: ComputeTargetEntry): void {
  computeOverrides.set(scheme.toLowerCase(), entry);
}

/**
 * Registers (or replaces, by id) a target descriptor in-process: `connect()`, `createCompute()`,
 * {@link targetDescriptors} (so the planner, the CLI and the conformance matrix) see it from then on, and its
 * schemes take precedence over the built-in ones.
 */
export function registerTarget(descriptor: TargetDescriptor): void {
  registered.set(descriptor.id, descriptor);
}

/** Removes a descriptor registered by {@link registerTarget}; true when there was one. */
export function unregisterTarget(id: string): boolean {
  return registered.delete(id);
}

function unique(list: Iterable<string>): string[] {
  return [...new Set(list)];
}

/** The stream schemes the registry knows. */
export function streamSchemes(): string[] {
  return unique([
    ...TARGET_REGISTRY.flatMap((l) => l.streams ?? []),
    ...[...registered.values()].flatMap((d) => d.streamSchemes),
    ...streamOverrides.keys(),
  ]);
}

/** The compute schemes the registry knows. */
export function computeSchemes(): string[] {
  return unique([
    ...TARGET_REGISTRY.flatMap((l) => l.computes ?? []),
    ...[...registered.values()].flatMap((d) => d.computeSchemes ?? []),
    ...computeOverrides.keys(),
  ]);
}

/** The package name of a module specifier (`@scope/name/sub` -> `@scope/name`). */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** True when `e` says that `module`'s own package is missing (not a dependency inside it). */
function isMissingPackage(e: unknown, module: string): boolean {
  // Node says "Cannot find package '<name>' imported from ...": match the quoted name, so a dependency missing
  // inside the adapter (e.g. its vendor SDK) is not reported as the adapter itself; Vite (vitest) quotes the whole
  // specifier, subpath included
  const code = (e as { code?: string }).code;
  const message = String((e as Error).message);
  const pkg = packageOf(module);
  return code === 'ERR_MODULE_NOT_FOUND' && (message.includes(`'${pkg}'`) || message.includes(`'${pkg}/`));
}

function needsPackage(module: string, scheme: string, field: string, cause: unknown): ConfigError {
  const pkg = packageOf(module);
  return new ConfigError(`${field}: scheme "${scheme}://" needs the package ${pkg}; install it with npm install ${pkg}`, {
    field,
    cause,
  });
}

/**
 * True when `e` says that `module`'s package is installed but does not export that subpath: an adapter from before
 * descriptors, without `./target`. Node says `Package subpath './target' is not defined by "exports" in
 * <dir>/package.json` (ERR_PACKAGE_PATH_NOT_EXPORTED); Vite (vitest) says `"./target" is not exported under the
 * conditions [...] from package <dir>`.
 */
function isUnexportedSubpath(e: unknown, module: string): boolean {
  const code = (e as { code?: string }).code;
  const message = String((e as Error | undefined)?.message).replaceAll('\\', '/');
  const fromPackage = message.includes(`/${packageOf(module)}/`) || message.includes(`/${packageOf(module)} `);
  return fromPackage && (code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' || message.includes('is not exported under the conditions'));
}

/** The error for an installed adapter too old to have a `./target` export (undefined for any other failure). */
function tooOldPackage(e: unknown, module: string, field: string, scheme?: string): ConfigError | undefined {
  if (!isUnexportedSubpath(e, module)) return undefined;
  const pkg = packageOf(module);
  const subpath = `.${module.slice(pkg.length)}`;
  const forScheme = scheme === undefined ? '' : ` for scheme "${scheme}://"`;
  return new ConfigError(
    `${field}: the installed ${pkg}${forScheme} is too old for this @speedlayer/core: it has no ${subpath} export (its target descriptor); upgrade it to a version with ${subpath}, e.g. npm install ${pkg}@latest`,
    { field, cause: e },
  );
}

/**
 * The descriptors of one `./target` module (what a {@link TARGET_REGISTRY} line names, or a third-party adapter's, to
 * pass to {@link registerTarget}); null when its package is not installed. Loaded once per module.
 * @throws `ConfigError` (field `field`) when the package is installed but too old to export the module (an adapter
 * from before target descriptors), or does not export `targets`.
 */
export async function loadTargets(module: string, field = 'target'): Promise<readonly TargetDescriptor[] | null> {
  try {
    return await loadTargetModule(module);
  } catch (e) {
    throw tooOldPackage(e, module, field) ?? e;
  }
}

/** Loads one `./target` module's descriptors; null when its package is not installed. */
function loadTargetModule(module: string): Promise<readonly TargetDescriptor[] | null> {
  let p = loaded.get(module);
  if (!p) {
    p = import(module).then(
      (m: Partial<TargetModule>) => {
        if (!Array.isArray(m.targets)) throw new ConfigError(`target registry: ${module} does not export targets`);
        for (const d of m.targets) if (!builtInTargets.has(d.id)) builtInTargets.set(d.id, d);
        return m.targets;
      },
      (e: unknown) => {
        if (isMissingPackage(e, module)) return null;
        throw e;
      },
    );
    loaded.set(module, p);
    // a failure other than a missing package is not cached: the next call tries again
    p.catch(() => loaded.delete(module));
  }
  return p;
}

/**
 * Every known target's descriptor: the built-in ones whose package is installed, in {@link TARGET_REGISTRY} order,
 * then those registered in-process (one registered with a built-in id replaces it in place). Loading them loads
 * only the light `./target` modules: no vendor SDK, planner or IaC writer.
 */
export async function targetDescriptors(): Promise<TargetDescriptor[]> {
  const builtIn = (await Promise.all(TARGET_REGISTRY.map((l) => loadTargets(l.module)))).flatMap((d) => d ?? []);
  const out = builtIn.map((d) => registered.get(d.id) ?? d);
  for (const d of registered.values()) if (!builtIn.some((b) => b.id === d.id)) out.push(d);
  return out;
}

/** The descriptor of one target id, or undefined when no installed or registered target has it. */
export async function findTarget(id: string): Promise<TargetDescriptor | undefined> {
  return registered.get(id) ?? (await targetDescriptors()).find((d) => d.id === id);
}

type Kind = 'stream' | 'compute';

/** The descriptor serving a scheme: registered ones first, then the built-in line that names the scheme. */
async function descriptorFor(kind: Kind, scheme: string, field: string): Promise<TargetDescriptor | undefined> {
  const schemesOf = (d: TargetDescriptor) => (kind === 'stream' ? d.streamSchemes : (d.computeSchemes ?? []));
  for (const d of registered.values()) if (schemesOf(d).includes(scheme)) return d;
  const line = TARGET_REGISTRY.find((l) => (kind === 'stream' ? l.streams : l.computes)?.includes(scheme));
  if (!line) return undefined;
  let descriptors: readonly TargetDescriptor[] | null;
  try {
    descriptors = await loadTargetModule(line.module);
  } catch (e) {
    const old = tooOldPackage(e, line.module, field, scheme);
    if (old) throw old;
    throw new ConfigError(`${field}: the descriptor of scheme "${scheme}://" (${line.module}) failed to load`, {
      field,
      cause: e,
    });
  }
  if (descriptors === null) throw needsPackage(line.module, scheme, field, undefined);
  const d = descriptors.find((x) => schemesOf(x).includes(scheme));
  if (!d) throw new ConfigError(`${field}: ${line.module} describes no target for scheme "${scheme}://"`, { field });
  return d;
}

async function loadExport<T>(ref: ExportRef, scheme: string, field: string): Promise<T> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(ref.module)) as Record<string, unknown>;
  } catch (e) {
    if (isMissingPackage(e, ref.module)) throw needsPackage(ref.module, scheme, field, e);
    throw e;
  }
  const fn = mod[ref.export];
  if (typeof fn !== 'function') {
    throw new ConfigError(`${field}: package ${ref.module} does not export ${ref.export} for scheme "${scheme}://"`, { field });
  }
  return fn as T;
}

function unknownScheme(kind: Kind, scheme: string, field: string): ConfigError {
  const known = kind === 'stream' ? streamSchemes() : computeSchemes();
  return new ConfigError(`${field}: unknown ${kind} scheme "${scheme}://"; known: ${known.map((s) => `${s}://`).join(', ')}`, {
    field,
  });
}

/** The factory for a scheme: a scheme registered in-process first, then the descriptor that serves it. */
async function factoryFor<F>(kind: Kind, scheme: string, field: string): Promise<F> {
  const entry = (kind === 'stream' ? streamOverrides : computeOverrides).get(scheme);
  const exportName = kind === 'stream' ? 'streamFactory' : 'computeFactory';
  if (entry)
    return (entry.factory as F | undefined) ?? loadExport<F>({ module: entry.module, export: exportName }, scheme, field);
  const d = await descriptorFor(kind, scheme, field);
  if (!d) throw unknownScheme(kind, scheme, field);
  return loadExport<F>(kind === 'stream' ? streamFactoryRef(d) : computeFactoryRef(d), scheme, field);
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
  const factory = await factoryFor<StreamFactory>('stream', parsed.scheme, 'uri');
  const driver = await factory(parsed, options);
  // telemetry reads the target's descriptor (messaging.system): read it when the scheme was registered without one
  if (!describedTarget(driver.target)) await findTarget(driver.target).catch(() => undefined);
  return new PortableStreamClient(driver, options);
}

/**
 * Creates a compute client: `local://./data` (one OS process per replica), `kubernetes://[context]`,
 * `eks://`, `aks://`, `gke://` (a kubeconfig), `ecs://<region>/<cluster>`.
 * @throws {@link ConfigError} for an unknown scheme.
 */
export async function createCompute(uri: string, options: { config?: Record<string, unknown> } = {}): Promise<ComputeClient> {
  const parsed = parseUri(uri, 'compute');
  const factory = await factoryFor<ComputeFactory>('compute', parsed.scheme, 'compute');
  return factory(parsed, options);
}
