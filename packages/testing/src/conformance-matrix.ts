/**
 * The conformance matrix, built from the target descriptors: every descriptor's `conformance` entries become suite
 * targets, with the URI of their scheme taken from the peers' status (`streams`) or given by the caller. A target
 * added to the registry (one line in core's `TARGET_REGISTRY`, or `registerTarget()`) is in the matrix with no
 * other change.
 *
 * @packageDocumentation
 */
import { type TargetDescriptor, targetDescriptors, ValidationError } from '@speedlayer/core';
import { COMPUTE_STEPS, type ComputeConformanceTarget, type ComputeStep } from './compute-conformance.js';
import { STREAM_STEPS, type StreamConformanceTarget, type StreamStep } from './stream-conformance.js';

/** Where the matrix finds its URIs and which entries it keeps. */
export interface MatrixOptions {
  /** Stream URIs by scheme: the peers' `status.streams`, or the caller's (`{ local: 'local:///tmp/x' }`). */
  readonly streams?: Readonly<Partial<Record<string, string>>>;
  /** Only these target ids. @default every target */
  readonly targets?: readonly string[];
  /** Only the entries on these schemes. @default every scheme */
  readonly schemes?: readonly string[];
  /**
   * Per stream scheme, what the caller sets on the entry instead of the descriptor or `streams`: a URI or connect
   * options known only once a stand-in has started (functions the suite awaits), a name saying where it runs. An
   * entry with an override `uri` is in the matrix without `streams[scheme]`; override `connectOptions` replace the
   * descriptor's `config`.
   */
  readonly overrides?: Readonly<
    Record<string, Readonly<Partial<Pick<StreamConformanceTarget, 'name' | 'uri' | 'connectOptions'>>>>
  >;
}

/** What {@link computeConformanceMatrix} needs besides {@link MatrixOptions}. */
export interface ComputeMatrixOptions extends MatrixOptions {
  /** Compute URIs by scheme. */
  readonly computes: Readonly<Record<string, string>>;
  /** The workload each entry runs (command, image, ...). */
  readonly workload: ComputeConformanceTarget['workload'];
}

function checkSkips<S extends string>(
  skip: Readonly<Record<string, string>> | undefined,
  steps: readonly S[],
  where: string,
): Partial<Record<S, string>> {
  for (const step of Object.keys(skip ?? {})) {
    if (!(steps as readonly string[]).includes(step)) {
      throw new ValidationError(`${where}.skip: no step is named "${step}"`, { field: `${where}.skip` });
    }
  }
  return (skip ?? {}) as Partial<Record<S, string>>;
}

function chosen(all: readonly TargetDescriptor[], options: MatrixOptions): readonly TargetDescriptor[] {
  return options.targets ? all.filter((d) => options.targets?.includes(d.id)) : all;
}

/**
 * The stream suite's matrix: one entry per descriptor stream entry whose URI is known (a fixed one, or
 * `streams[scheme]`); entries whose peer is not up are left out.
 * @throws `ValidationError` when an entry skips a step that does not exist.
 */
export async function streamConformanceMatrix(
  options: MatrixOptions & { descriptors?: readonly TargetDescriptor[] } = {},
): Promise<StreamConformanceTarget[]> {
  return streamMatrixOf(options.descriptors ?? (await targetDescriptors()), options);
}

/**
 * {@link streamConformanceMatrix} over descriptors already read (`await targetDescriptors()` at the top of a test
 * file), for use inside a synchronous `describe`.
 */
export function streamMatrixOf(descriptors: readonly TargetDescriptor[], options: MatrixOptions = {}): StreamConformanceTarget[] {
  const out: StreamConformanceTarget[] = [];
  for (const d of chosen(descriptors, options)) {
    for (const [i, e] of (d.conformance?.stream ?? []).entries()) {
      if (options.schemes && !options.schemes.includes(e.scheme)) continue;
      const override = options.overrides?.[e.scheme];
      const uri = override?.uri ?? e.uri ?? options.streams?.[e.scheme];
      if (uri === undefined) continue;
      const target: StreamConformanceTarget = {
        name: override?.name ?? e.name ?? d.id,
        uri,
        nativeClient: e.nativeClient,
        skip: checkSkips<StreamStep>(e.skip, STREAM_STEPS, `${d.id}.conformance.stream[${i}]`),
      };
      if (override?.connectOptions) target.connectOptions = override.connectOptions;
      else if (e.config) target.connectOptions = { config: { ...e.config } };
      if (e.subscribeDefaults) target.subscribeDefaults = { ...e.subscribeDefaults };
      if (e.lag !== undefined) target.lag = e.lag;
      if (e.slowness !== undefined) target.slowness = e.slowness;
      out.push(target);
    }
  }
  return out;
}

/**
 * The compute suite's matrix: one entry per descriptor compute entry whose compute URI is in `computes`.
 * @throws `ValidationError` when an entry's stream scheme has no URI.
 */
export async function computeConformanceMatrix(
  options: ComputeMatrixOptions & { descriptors?: readonly TargetDescriptor[] },
): Promise<ComputeConformanceTarget[]> {
  return computeMatrixOf(options.descriptors ?? (await targetDescriptors()), options);
}

/** {@link computeConformanceMatrix} over descriptors already read. */
export function computeMatrixOf(
  descriptors: readonly TargetDescriptor[],
  options: ComputeMatrixOptions,
): ComputeConformanceTarget[] {
  const out: ComputeConformanceTarget[] = [];
  for (const d of chosen(descriptors, options)) {
    for (const [i, e] of (d.conformance?.compute ?? []).entries()) {
      if (options.schemes && !options.schemes.includes(e.scheme)) continue;
      const uri = options.computes[e.scheme];
      if (uri === undefined) continue;
      const where = `${d.id}.conformance.compute[${i}]`;
      const streamScheme = e.streamScheme ?? Object.keys(options.streams ?? {})[0];
      const streamUri = streamScheme === undefined ? undefined : options.streams?.[streamScheme];
      if (streamUri === undefined) {
        throw new ValidationError(`${where}.streamScheme: no stream URI for "${streamScheme ?? ''}"`, {
          field: `${where}.streamScheme`,
        });
      }
      out.push({
        name: e.name ?? d.id,
        uri,
        streamUri,
        workload: options.workload,
        skip: checkSkips<ComputeStep>(e.skip, COMPUTE_STEPS, where),
        ...(e.config ? { config: { ...e.config } } : {}),
      });
    }
  }
  return out;
}
