/**
 * Target descriptors: one small record per target that says everything the runtime, the planner, the CLI and the
 * conformance matrix need to know about it — its id, URI schemes, capabilities, where its limits and prices live,
 * its conformance entry and its planner hook. A descriptor is plain data: the code it names (stream and compute
 * factories, the planning profile) is referenced by module specifier and export name and loaded only when used, so
 * reading a descriptor loads no vendor SDK, planner or IaC writer.
 *
 * Each adapter exports its descriptors on a light `./target` subpath as `targets`; core's registry lists those
 * subpaths, one line per adapter ({@link targetDescriptors}).
 *
 * @packageDocumentation
 */
import type { ComputeCapabilities, StreamCapabilities } from './capabilities.js';
import type { SubscribeOptions } from './stream.js';

/** A named export of a module, loaded on first use: `await import(module)[export]`. */
export interface ExportRef {
  /** Module specifier, e.g. `@speedlayer/aws-kinesis-ecs/plan`. */
  readonly module: string;
  /** The export's name, e.g. `plannerTarget`. */
  readonly export: string;
}

/** How the stream conformance suite reaches a target: one matrix entry, as data. */
export interface StreamConformanceEntry {
  /** Name shown in the test path. @default the target id */
  readonly name?: string;
  /** The stream scheme whose URI the matrix uses (from the test peers' status or the caller). */
  readonly scheme: string;
  /** A fixed URI (e.g. `memory://conformance`) instead of one given by the peers or the caller. */
  readonly uri?: string;
  /** The test peer it runs against (`kafka`, `moto`, ...); absent for embedded targets. */
  readonly peer?: string;
  /** Constructor name of the native client `as()` returns, or `false` where there is none. */
  readonly nativeClient: string | false;
  /** Whether `client.lag()` works (false: it must throw `UnsupportedError`). @default true */
  readonly lag?: boolean;
  /** Config passed to `connect()`. */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Defaults merged into every `subscribe` of the suite. */
  readonly subscribeDefaults?: Readonly<Partial<SubscribeOptions>>;
  /** Steps this target cannot run (step name -> reason, printed). */
  readonly skip?: Readonly<Record<string, string>>;
  /** Time budget multiplier. @default 1 */
  readonly slowness?: number;
}

/** How the compute conformance suite reaches a target. */
export interface ComputeConformanceEntry {
  /** Name shown in the test path. @default the target id */
  readonly name?: string;
  /** The compute scheme whose URI the matrix uses. */
  readonly scheme: string;
  /** The test peer it runs against; absent for embedded targets. */
  readonly peer?: string;
  /** Config passed to `createCompute()`. */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Stream scheme of the stream the suite aligns replicas against. */
  readonly streamScheme?: string;
  /** Steps this target cannot run (step name -> reason, printed). */
  readonly skip?: Readonly<Record<string, string>>;
}

/**
 * Everything about one target that is not its code. Read by `connect()`/`createCompute()` (schemes and factories),
 * the planner and the CLI (`plan`, `compare`, the target list), and the conformance matrix.
 *
 * @example
 * ```ts
 * import type { TargetDescriptor } from '@speedlayer/core';
 * export const target: TargetDescriptor = {
 *   id: 'acme-stream',
 *   title: 'Acme Stream',
 *   package: '@acme/speedlayer-target',
 *   streamSchemes: ['acme'],
 *   plan: { module: '@acme/speedlayer-target/plan', export: 'plannerTarget' },
 *   conformance: { stream: [{ scheme: 'acme', peer: 'acme', nativeClient: 'AcmeClient' }] },
 * };
 * ```
 */
export interface TargetDescriptor {
  /** Target id, e.g. `aws-kinesis-ecs`: on clients, errors, plans and `--target`. */
  readonly id: string;
  /** Human name, e.g. `Amazon Kinesis + ECS`. */
  readonly title: string;
  /** The npm package that implements it (named in "install it" errors). */
  readonly package: string;
  /** Stream URI schemes it serves, lower case without `://` (empty for plan-only targets). */
  readonly streamSchemes: readonly string[];
  /** Compute URI schemes it serves. @default [] */
  readonly computeSchemes?: readonly string[];
  /** The stream factory. @default `{ module: package, export: 'streamFactory' }` when it has stream schemes */
  readonly stream?: ExportRef;
  /** The compute factory. @default `{ module: package, export: 'computeFactory' }` when it has compute schemes */
  readonly compute?: ExportRef;
  /**
   * The contract flags that do not depend on config, declared once: the driver builds its capabilities from them and
   * adds the config-dependent ones (limits, tier features), as `@speedlayer/kafka`'s `kafkaCapabilities` does.
   */
  readonly capabilities?: Readonly<Partial<StreamCapabilities>>;
  /**
   * Flags of one stream scheme where its schemes differ (Event Hubs over AMQP and through its Kafka endpoint), merged
   * over {@link TargetDescriptor.capabilities} by {@link streamFlags}.
   */
  readonly schemeCapabilities?: Readonly<Record<string, Readonly<Partial<StreamCapabilities>>>>;
  /** The compute adapter's flags that do not depend on config, declared the same way. */
  readonly computeCapabilities?: Readonly<Partial<ComputeCapabilities>>;
  /**
   * The OpenTelemetry `messaging.system` of its spans and metrics: the semantic conventions' value where one exists
   * (`kafka`, `aws_kinesis`, `eventhubs`, `gcp_pubsub`). @default the target id
   */
  readonly messagingSystem?: string;
  /**
   * What its headers and record positions are called, in user-facing text (`speedlayer migrate`'s plan):
   * `headers` where it has native headers (`Kafka headers`), `positions` (`Kafka offsets`).
   * @default `headers` and `offsets`
   */
  readonly terms?: { readonly headers?: string; readonly positions?: string };
  /**
   * Raw-client baselines of `speedlayer bench --overhead`, by stream scheme: the name reports give it (`raw-kafkajs`)
   * and the function that opens it on a parsed URI (`(uri: ParsedUri) => Promise<BenchDriver>` of `@speedlayer/bench`),
   * loaded only when asked for.
   */
  readonly baselines?: Readonly<Record<string, { readonly name: string; readonly open: ExportRef }>>;
  /** Its vendor limits, each with the URL of its source (a `Record<string, Sourced>`). */
  readonly limits?: ExportRef;
  /** Its price table (the planner's `Price` records, each with its "as of" date). */
  readonly prices?: ExportRef;
  /** The planner hook: its planning profile (`PlannerTarget`: sizing, cost, qualitative rows, IaC emitter). */
  readonly plan?: ExportRef;
  /**
   * For a runtime target without a plan of its own: the plan target whose profile prices it (plain `kafka://` is
   * priced as `aws-msk-eks`).
   */
  readonly pricedAs?: string;
  /**
   * How `speedlayer deploy --target <id>` runs its workers: the default compute URI, and what `deploy <workload>`
   * applies from the plan (`kubernetes` manifests or `ecs` task definitions and services; absent: workers only).
   */
  readonly deploy?: { readonly compute: string; readonly workload?: 'kubernetes' | 'ecs' };
  /** Its entries in the conformance matrix. */
  readonly conformance?: {
    readonly stream?: readonly StreamConformanceEntry[];
    readonly compute?: readonly ComputeConformanceEntry[];
  };
}

/** What a `./target` module exports. */
export interface TargetModule {
  /** The descriptors of the package's targets. */
  readonly targets: readonly TargetDescriptor[];
}

/**
 * The static contract flags (and static descriptive limits) a descriptor declares for one of its stream schemes:
 * `capabilities` with the scheme's `schemeCapabilities` over them. The driver starts from these and adds what depends
 * on config.
 */
export function streamFlags(d: TargetDescriptor, scheme: string): Partial<StreamCapabilities> {
  return { ...d.capabilities, ...d.schemeCapabilities?.[scheme] };
}

/** The stream factory a descriptor names (its own, or the package's `streamFactory`). */
export function streamFactoryRef(d: TargetDescriptor): ExportRef {
  return d.stream ?? { module: d.package, export: 'streamFactory' };
}

/** The compute factory a descriptor names (its own, or the package's `computeFactory`). */
export function computeFactoryRef(d: TargetDescriptor): ExportRef {
  return d.compute ?? { module: d.package, export: 'computeFactory' };
}

/** What {@link defineTarget} takes: a descriptor whose planner hooks follow the `<package>/plan` convention. */
export interface TargetDefinition extends Omit<TargetDescriptor, 'limits' | 'prices' | 'plan'> {
  /** Names of the exports of `<package>/plan`: its limits, its price table and its planning profile. */
  readonly planExports?: {
    readonly limits: string;
    readonly prices: string;
    /** @default 'plannerTarget' */
    readonly profile?: string;
  };
}

/**
 * A descriptor from a {@link TargetDefinition}: `planExports` become the `limits`, `prices` and `plan` references on
 * the package's `./plan` entry.
 * @example
 * ```ts
 * import { defineTarget } from '@speedlayer/core';
 * export const target = defineTarget({
 *   id: 'acme-stream',
 *   title: 'Acme Stream',
 *   package: '@acme/speedlayer-target',
 *   streamSchemes: ['acme'],
 *   planExports: { limits: 'ACME_LIMITS', prices: 'ACME_PRICES' },
 * });
 * ```
 */
export function defineTarget(definition: TargetDefinition): TargetDescriptor {
  const { planExports, ...rest } = definition;
  if (!planExports) return rest;
  const module = `${definition.package}/plan`;
  return {
    ...rest,
    limits: { module, export: planExports.limits },
    prices: { module, export: planExports.prices },
    plan: { module, export: planExports.profile ?? 'plannerTarget' },
  };
}
