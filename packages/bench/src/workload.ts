/**
 * OpenMessaging Benchmark workload files, read as they are: the same field names, units and defaults as OMB's
 * `Workload.java`. Unknown fields and fields this runner cannot honour are reported by name, never ignored.
 *
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { type FieldIssue, fieldIssues, ValidationError, z } from '@speedlayer/core';
import { parse as parseYaml } from 'yaml';

/** OMB's key distributors (`KeyDistributorType`). */
export const KEY_DISTRIBUTORS = ['NO_KEY', 'KEY_ROUND_ROBIN', 'RANDOM_NANO'] as const;

/** How message keys are chosen. */
export type KeyDistributorType = (typeof KEY_DISTRIBUTORS)[number];

const count = (what: string, min: number) =>
  z
    .number({ error: (i) => (i.input === undefined ? `required: ${what}` : `must be a number (${what})`) })
    .int('must be a whole number')
    .refine((n) => n >= min, `must be >= ${min}`);

const nonNegative = (what: string) =>
  z.number({ error: `must be a number (${what})` }).refine((n) => Number.isFinite(n) && n >= 0, 'must be a finite number >= 0');

/**
 * Zod schema of an OMB workload file. Strict: a field OMB does not define, or one this runner does not
 * implement, fails validation with its name.
 */
export const ombWorkloadSchema = z
  .strictObject({
    /** Label of the workload; copied into the result's `workload` field. */
    name: z.string({ error: 'required: a name' }).min(1, 'must not be empty'),
    /** Topics to create. */
    topics: count('number of topics', 1),
    /** Partitions of each topic. */
    partitionsPerTopic: count('partitions per topic', 1),
    /** How keys are chosen. @default NO_KEY */
    keyDistributor: z.enum(KEY_DISTRIBUTORS, { error: `must be one of ${KEY_DISTRIBUTORS.join(', ')}` }).default('NO_KEY'),
    /** Bytes per message. */
    messageSize: count('message size in bytes', 1),
    /** A file whose bytes are every message's payload (relative to the workload file, then to the cwd). */
    payloadFile: z.string().min(1).optional(),
    /** Part-random payloads (for compression tests). @default false */
    useRandomizedPayloads: z.boolean({ error: 'must be true or false' }).default(false),
    /** Share of random bytes in a randomized payload, 0..1. @default 0 */
    randomBytesRatio: z
      .number({ error: 'must be a number' })
      .refine((n) => n >= 0 && n <= 1, 'must be between 0 and 1')
      .default(0),
    /** Distinct randomized payloads to cycle through. @default 0 (one) */
    randomizedPayloadPoolSize: count('pool size', 0).default(0),
    /** Independent subscriptions (consumer groups) per topic. */
    subscriptionsPerTopic: count('subscriptions per topic', 0),
    /** Consumers in each subscription. */
    consumerPerSubscription: count('consumers per subscription', 1),
    /** Producers per topic. */
    producersPerTopic: count('producers per topic', 1),
    /** Target messages per second over all producers; 0 = find the maximum sustainable rate. */
    producerRate: nonNegative('messages per second'),
    /** Backlog to build before consumers start, in GB; then drained. @default 0 */
    consumerBacklogSizeGB: nonNegative('GB').default(0),
    /** Share of the backlog that must drain, 0..1. @default 1 */
    backlogDrainRatio: z
      .number({ error: 'must be a number' })
      .refine((n) => n > 0 && n <= 1, 'must be > 0 and <= 1')
      .default(1),
    /** Measured phase in minutes (fractions allowed). */
    testDurationMinutes: z
      .number({ error: (i) => (i.input === undefined ? 'required: test duration in minutes' : 'must be a number') })
      .refine((n) => Number.isFinite(n) && n > 0, 'must be > 0'),
    /** Warm-up phase in minutes. @default 1 */
    warmupDurationMinutes: nonNegative('minutes').default(1),
  })
  .superRefine((w, ctx) => {
    if (w.producerRate === 0 && w.consumerBacklogSizeGB > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['producerRate'],
        message: 'producerRate 0 (find the maximum rate) cannot be combined with consumerBacklogSizeGB > 0, as in OMB',
      });
    }
    if (w.payloadFile !== undefined && w.useRandomizedPayloads) {
      ctx.addIssue({ code: 'custom', path: ['useRandomizedPayloads'], message: 'cannot be combined with payloadFile' });
    }
    if (w.consumerBacklogSizeGB > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['consumerBacklogSizeGB'],
        message: 'not supported by speedlayer bench yet: the build-then-drain backlog mode is not implemented; use 0',
      });
    }
  });

/** A validated OMB workload, OMB defaults applied. */
export type OmbWorkload = z.output<typeof ombWorkloadSchema>;

/** OMB workload fields this runner knows (for messages and docs). */
export const OMB_FIELDS: readonly string[] = Object.keys(ombWorkloadSchema.shape);

/** OMB fields that exist upstream (or in its well-known forks) but this runner does not implement. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  messageRateReceivedForSubscription: 'subscription filters are not part of the speedlayer stream contract',
  producerStartRate: 'the max-rate search starts from its own rate; use producerRate for a fixed rate',
  acceptableBacklog: 'the max-rate search uses its own backlog bound',
  producerIncrementRate: 'stepped producer rates are not implemented',
  producerIncrementSeconds: 'stepped producer rates are not implemented',
  producerPauseBeforeDrain: 'producer pauses are not implemented',
  producerPauseDuringDrain: 'producer pauses are not implemented',
  messageSizeDistribution: 'message size distributions are not implemented; use messageSize',
};

/** A workload file that failed validation; `issues` names every field at fault. */
export class OmbWorkloadError extends ValidationError {
  /** Every problem, by field path. */
  readonly issues: readonly FieldIssue[];
  constructor(issues: readonly FieldIssue[], source?: string) {
    const where = source ? ` ${source}` : '';
    super(`OMB workload${where} is invalid:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`, {
      ...(issues[0] ? { field: issues[0].path } : {}),
    });
    this.name = 'OmbWorkloadError';
    this.issues = issues;
  }
}

function issuesOf(error: z.ZodError): FieldIssue[] {
  return fieldIssues(error, {
    unknownField: (key) => {
      const why = UNSUPPORTED[key];
      return why ? `not supported by speedlayer bench: ${why}` : `unknown field (known: ${OMB_FIELDS.join(', ')})`;
    },
  });
}

/**
 * Validates a parsed workload object.
 * @throws `OmbWorkloadError` naming each field at fault.
 */
export function validateOmbWorkload(input: unknown, source?: string): OmbWorkload {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new OmbWorkloadError([{ path: '(root)', message: 'must be a mapping of OMB workload fields' }], source);
  }
  const result = ombWorkloadSchema.safeParse(input, { reportInput: true });
  if (!result.success) throw new OmbWorkloadError(issuesOf(result.error), source);
  return result.data;
}

/**
 * Parses the text of an OMB workload file (YAML or JSON).
 * @throws `OmbWorkloadError` when it is not YAML or a field is invalid.
 */
export function parseOmbWorkload(text: string, source?: string): OmbWorkload {
  let data: unknown;
  try {
    data = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (e) {
    throw new OmbWorkloadError([{ path: '(root)', message: `not valid YAML: ${(e as Error).message}` }], source);
  }
  return validateOmbWorkload(data, source);
}

/** A workload ready to run: the validated fields plus where it came from and its payload bytes. */
export interface LoadedWorkload {
  /** The validated fields. */
  readonly workload: OmbWorkload;
  /** The file it was read from. */
  readonly path: string;
  /** The payloads producers cycle through (one, unless randomized with a pool). */
  readonly payloads: readonly Uint8Array[];
}

/**
 * Builds the payloads of a workload: the payload file's bytes, else `messageSize` random bytes (or OMB's
 * part-random pool when `useRandomizedPayloads`).
 */
export function makePayloads(
  w: OmbWorkload,
  fileBytes?: Uint8Array,
  random: (n: number) => Uint8Array = randomBytes,
): Uint8Array[] {
  if (fileBytes) return [fileBytes];
  if (!w.useRandomizedPayloads) return [random(w.messageSize)];
  const pool = Math.max(1, w.randomizedPayloadPoolSize);
  const randomCount = Math.round(w.messageSize * w.randomBytesRatio);
  const out: Uint8Array[] = [];
  for (let i = 0; i < pool; i++) {
    const p = new Uint8Array(w.messageSize);
    p.set(random(randomCount), w.messageSize - randomCount);
    out.push(p);
  }
  return out;
}

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += 65_536) crypto.getRandomValues(out.subarray(off, Math.min(n, off + 65_536)));
  return out;
}

/**
 * Reads, validates and prepares a workload file. `payloadFile` is looked up next to the workload file first,
 * then in the current directory (where OMB's own workloads expect `payload/...`).
 * @throws `OmbWorkloadError` when a field is invalid or the payload file cannot be read.
 * @throws `ValidationError` (field `workload`) when the file cannot be read.
 */
export async function loadOmbWorkload(path: string): Promise<LoadedWorkload> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ValidationError(`cannot read workload file ${path}: ${(e as Error).message}`, { field: 'workload', cause: e });
  }
  const workload = parseOmbWorkload(text, path);
  let fileBytes: Uint8Array | undefined;
  if (workload.payloadFile !== undefined) {
    const candidates = isAbsolute(workload.payloadFile)
      ? [workload.payloadFile]
      : [resolve(dirname(path), workload.payloadFile), resolve(workload.payloadFile)];
    for (const c of candidates) {
      try {
        fileBytes = new Uint8Array(await readFile(c));
        break;
      } catch {
        // try the next place
      }
    }
    if (!fileBytes) {
      throw new OmbWorkloadError([{ path: 'payloadFile', message: `cannot read ${candidates.join(' or ')}` }], path);
    }
    if (fileBytes.byteLength !== workload.messageSize) {
      // OMB sends the file as it is; say so when it disagrees with messageSize.
      process.emitWarning(
        `payloadFile is ${fileBytes.byteLength} bytes, messageSize says ${workload.messageSize}; the file is sent as is`,
      );
    }
  }
  return { workload, path, payloads: makePayloads(workload, fileBytes) };
}

/**
 * Parses a duration: `90s`, `2m`, `500ms`, `1h`, or a bare number of seconds.
 * @throws `ValidationError` naming `field` for anything else.
 */
export function parseDuration(text: string, field: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$/.exec(text);
  if (!m) throw new ValidationError(`${field}: expected a duration like 10s, 2m or 500ms, got "${text}"`, { field });
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'h' ? 3_600_000 : 60_000;
  return n * factor;
}

/** The phases of a run in milliseconds, from the workload or from overrides. */
export interface Durations {
  /** Warm-up in ms. */
  warmupMs: number;
  /** Measured phase in ms. */
  testMs: number;
}

/** Durations of a workload, with optional overrides (CLI `--warmup`, `--duration`). */
export function durationsOf(w: OmbWorkload, overrides: { warmupMs?: number; testMs?: number } = {}): Durations {
  return {
    warmupMs: overrides.warmupMs ?? w.warmupDurationMinutes * 60_000,
    testMs: overrides.testMs ?? w.testDurationMinutes * 60_000,
  };
}
