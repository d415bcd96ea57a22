/**
 * The workload description: what a platform team knows about a stream before choosing a target.
 * Parsed from YAML or JSON and validated with errors that name the field path (`ingress.recordsPerSecond`).
 *
 * @packageDocumentation
 */
import { type FieldIssue, fieldIssues, ValidationError, z } from '@speedlayer/core';
import { parse as parseYaml } from 'yaml';

const positive = (what: string) =>
  z
    .number({ error: (i) => (i.input === undefined ? `required: ${what}` : `must be a number (${what})`) })
    .refine(Number.isFinite, 'must be a finite number')
    .refine((n) => n > 0, 'must be greater than 0');

const positiveInt = (what: string) =>
  z
    .number({ error: (i) => (i.input === undefined ? `required: ${what}` : `must be a number (${what})`) })
    .int('must be a whole number')
    .refine((n) => n > 0, 'must be greater than 0');

/**
 * A principal's name: 1-32 characters, lower-case letters, digits and "-", starting with a letter and not ending
 * with "-". It becomes `User:<principal>` in Kafka ACLs and part of identity names (IAM roles, managed
 * identities, service accounts, KafkaUsers), so it is kept to what every target accepts.
 */
export const PRINCIPAL_PATTERN = /^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

/**
 * A consumer group's name: 2-50 characters, lower-case letters, digits, ".", "_" and "-", starting with a letter
 * and ending with a letter or digit (the intersection of Kafka group ids, Event Hubs consumer groups, Pub/Sub
 * subscription ids and DynamoDB lease-table names).
 */
export const GROUP_PATTERN = /^[a-z][a-z0-9._-]{0,48}[a-z0-9]$/;

const principalName = z
  .string({ error: (i) => (i.input === undefined ? 'required: a principal name' : 'must be a string') })
  .regex(PRINCIPAL_PATTERN, 'must be 1-32 characters: lower-case letters, digits and "-", starting with a letter');

/** Zod schema of the `access` block: who may produce to the workload's topic and who may consume it, in which group. */
export const accessSchema = z
  .strictObject(
    {
      /** Principals allowed to write to the topic. @default [] */
      producers: z
        .array(z.strictObject({ principal: principalName }, { error: 'must be an object { principal }' }), {
          error: 'must be a list of { principal }',
        })
        .default([]),
      /** Principals allowed to read the topic, each in its own consumer group. @default [] */
      consumers: z
        .array(
          z.strictObject(
            {
              principal: principalName,
              /** The consumer group it reads in. @default the principal's name */
              group: z
                .string({ error: 'must be a string' })
                .regex(
                  GROUP_PATTERN,
                  'must be 2-50 characters: lower-case letters, digits, ".", "_" and "-", starting with a letter and ending with a letter or digit',
                )
                .optional(),
            },
            { error: 'must be an object { principal, group }' },
          ),
          { error: 'must be a list of { principal, group }' },
        )
        .default([]),
    },
    { error: 'must be an object { producers, consumers }' },
  )
  .superRefine((a, ctx) => {
    const seen = (list: readonly { principal: string }[], key: 'producers' | 'consumers') => {
      const first = new Map<string, number>();
      list.forEach((e, i) => {
        const at = first.get(e.principal);
        if (at === undefined) first.set(e.principal, i);
        else
          ctx.addIssue({
            code: 'custom',
            path: [key, i, 'principal'],
            message: `duplicate principal "${e.principal}" (already at ${key}[${at}])`,
          });
      });
    };
    seen(a.producers, 'producers');
    seen(a.consumers, 'consumers');
    const groups = new Map<string, number>();
    a.consumers.forEach((c, i) => {
      const g = c.group ?? c.principal;
      const at = groups.get(g);
      if (at === undefined) groups.set(g, i);
      else
        ctx.addIssue({
          code: 'custom',
          path: ['consumers', i, 'group'],
          message: `group "${g}" is already read by consumers[${at}]; one principal per group`,
        });
    });
  })
  .transform(
    (a): Access => ({
      producers: a.producers.map((p) => ({ principal: p.principal })),
      consumers: a.consumers.map((c) => ({ principal: c.principal, group: c.group ?? c.principal })),
    }),
  );

/** Who may produce to a workload's topic and who may consume it (validated, defaults applied). */
export interface Access {
  /** Principals that write to the topic. */
  readonly producers: readonly { readonly principal: string }[];
  /** Principals that read the topic, each in its own consumer group. */
  readonly consumers: readonly { readonly principal: string; readonly group: string }[];
}

/** Zod schema of a workload file. Unknown fields are rejected so typos do not pass silently. */
export const workloadSchema = z
  .strictObject({
    /** Name of the workload; becomes the topic/stream/hub name and the prefix of every resource. */
    name: z
      .string({ error: 'required: a name (lower-case letters, digits, "-")' })
      .regex(
        /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/,
        'must be 2-32 characters: lower-case letters, digits and "-", starting with a letter',
      ),
    /** What producers send. */
    ingress: z.strictObject(
      {
        /** Sustained records per second. */
        recordsPerSecond: positive('sustained records per second'),
        /** Average record size in bytes (value + key + headers). */
        avgRecordBytes: positiveInt('average record size in bytes'),
        /** Peak = sustained x factor. @default 1 */
        peakFactor: z
          .number({ error: 'must be a number >= 1' })
          .refine((n) => Number.isFinite(n) && n >= 1, 'must be >= 1 (peak = sustained x factor)')
          .default(1),
      },
      {
        error: (i) =>
          i.input === undefined ? 'required: { recordsPerSecond, avgRecordBytes, peakFactor }' : 'must be an object',
      },
    ),
    /**
     * Independent consumer groups; each reads everything. At least the number of `access.consumers`.
     * @default the number of `access.consumers`, or 1
     */
    consumerGroups: z
      .number({ error: 'must be a whole number >= 1' })
      .int('must be a whole number')
      .refine((n) => n >= 1, 'must be >= 1')
      .optional(),
    /** Consumer-side processing cost. */
    processing: z.strictObject(
      {
        /** Handler time per record in one replica, serial per partition. */
        msPerRecord: z
          .number({ error: (i) => (i.input === undefined ? 'required: handler milliseconds per record' : 'must be a number') })
          .refine((n) => Number.isFinite(n) && n >= 0, 'must be >= 0'),
        /** vCPU requested per replica. @default 0.25 */
        cpu: z
          .number({ error: 'must be a number of vCPU' })
          .refine((n) => n > 0 && n <= 16, 'must be > 0 and <= 16 vCPU')
          .default(0.25),
        /** Memory per replica in MiB. @default 512 */
        memoryMiB: z
          .number({ error: 'must be a number of MiB' })
          .int('must be a whole number')
          .refine((n) => n >= 128 && n <= 122_880, 'must be between 128 and 122880 MiB')
          .default(512),
      },
      { error: (i) => (i.input === undefined ? 'required: { msPerRecord }' : 'must be an object') },
    ),
    /** How long records stay readable, in hours. */
    retentionHours: positive('retention in hours'),
    /** `per-key`: records with the same key are handled in order; `none`: no ordering. @default per-key */
    ordering: z.enum(['per-key', 'none'], { error: 'must be "per-key" or "none"' }).default('per-key'),
    /** Largest record that must be accepted, in bytes. @default avgRecordBytes */
    maxRecordBytes: positiveInt('largest record in bytes').optional(),
    /** How the worker is deployed (image, handler module, namespace). */
    deploy: z
      .strictObject({
        /** Worker container image; pin by digest (`name@sha256:...`) for production. */
        image: z.string().min(1).default('ghcr.io/speedlayer/worker:0.1.0'),
        /** Handler module the worker loads. */
        handler: z.string().min(1).default('/app/handler.js'),
        /** Kubernetes namespace. @default the workload name */
        namespace: z
          .string()
          .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS label')
          .max(63)
          .optional(),
      })
      .default({ image: 'ghcr.io/speedlayer/worker:0.1.0', handler: '/app/handler.js' }),
    /**
     * Per-target options, keyed by target id (e.g. `targets.azure-eventhubs-aks.tier: standard`). Each target
     * validates its own entry; see the target's README.
     */
    targets: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
    /**
     * Access as code: the principals that may produce and consume. Every target's plan turns it into
     * least-privilege grants; absent, plans grant only the workers they deploy.
     */
    access: accessSchema.optional(),
  })
  .superRefine((w, ctx) => {
    const consumers = w.access?.consumers.length ?? 0;
    if (w.consumerGroups !== undefined && w.consumerGroups < consumers) {
      ctx.addIssue({
        code: 'custom',
        path: ['consumerGroups'],
        message: `must be >= the ${consumers} consumers named in access.consumers (got ${w.consumerGroups})`,
      });
    }
    if (w.maxRecordBytes !== undefined && w.maxRecordBytes < w.ingress.avgRecordBytes) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxRecordBytes'],
        message: `must be >= ingress.avgRecordBytes (${w.ingress.avgRecordBytes})`,
      });
    }
  });

/** A workload as written in a file (defaults not applied). */
export type WorkloadInput = z.input<typeof workloadSchema>;

/** A validated workload with defaults applied. */
export interface Workload extends Omit<z.output<typeof workloadSchema>, 'maxRecordBytes' | 'consumerGroups'> {
  /** Largest record in bytes (defaults to `ingress.avgRecordBytes`). */
  maxRecordBytes: number;
  /** Independent consumer groups (defaults to the number of `access.consumers`, or 1). */
  consumerGroups: number;
}

/** A workload file that failed validation; `issues` lists every field at fault. */
export class WorkloadValidationError extends ValidationError {
  /** Every problem found, by field path. */
  readonly issues: readonly FieldIssue[];
  constructor(issues: readonly FieldIssue[], source?: string) {
    const where = source ? ` (${source})` : '';
    super(`workload${where} is invalid:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`, {
      ...(issues[0] ? { field: issues[0].path } : {}),
    });
    this.name = 'WorkloadValidationError';
    this.issues = issues;
  }
}

function issuesOf(error: z.ZodError): FieldIssue[] {
  return fieldIssues(error);
}

/**
 * Validates a workload object and applies defaults.
 * @throws `WorkloadValidationError` naming each field at fault, e.g. `ingress.recordsPerSecond: must be greater than 0 (got -5)`.
 */
export function validateWorkload(input: unknown, source?: string): Workload {
  const result = workloadSchema.safeParse(input, { reportInput: true });
  if (!result.success) throw new WorkloadValidationError(issuesOf(result.error), source);
  const w = result.data;
  return {
    ...w,
    maxRecordBytes: w.maxRecordBytes ?? w.ingress.avgRecordBytes,
    consumerGroups: w.consumerGroups ?? Math.max(1, w.access?.consumers.length ?? 0),
  };
}

/**
 * Parses a workload file's text (YAML or JSON; JSON is YAML) and validates it.
 * @throws `WorkloadValidationError` when the text is not YAML/JSON or a field is invalid.
 */
export function parseWorkload(text: string, source?: string): Workload {
  let data: unknown;
  try {
    data = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (e) {
    throw new WorkloadValidationError([{ path: '(root)', message: `not valid YAML or JSON: ${(e as Error).message}` }], source);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new WorkloadValidationError(
      [{ path: '(root)', message: 'must be a mapping with name, ingress, processing, ...' }],
      source,
    );
  }
  return validateWorkload(data, source);
}

/**
 * Reads and validates a workload file.
 * @throws `WorkloadValidationError` when the file is invalid.
 * @throws `ValidationError` (field `workload`) when it cannot be read.
 */
export async function loadWorkload(path: string): Promise<Workload> {
  const { readFile } = await import('node:fs/promises');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ValidationError(`cannot read workload file ${path}: ${(e as Error).message}`, { field: 'workload', cause: e });
  }
  return parseWorkload(text, path);
}
