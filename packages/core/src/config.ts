/**
 * Config resolution: defaults -> parse -> validate -> resolved type, with errors that name the adapter and
 * the field. Schemas are zod schemas, so a machine-readable JSON Schema of each adapter's fields can be
 * printed next to the code.
 *
 * @packageDocumentation
 */
import { z } from 'zod';
import { ConfigError } from './errors.js';

export { z };

/** Turns a zod issue path into `a.b[0].c`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/** One problem with an input, named by its path. */
export interface FieldIssue {
  /** Path of the field, e.g. `ingress.recordsPerSecond`. */
  path: string;
  /** What is wrong. */
  message: string;
}

/** Options of {@link fieldIssues}. */
export interface FieldIssueOptions {
  /** Message for an unknown field (one issue per unknown key). @default "unknown field" */
  unknownField?: (key: string, path: string) => string;
}

/**
 * Lists a zod error's issues as path + message: one issue per unknown key (named by its own path), and the
 * offending value appended when the schema was parsed with `reportInput: true`.
 */
export function fieldIssues(error: z.ZodError, options: FieldIssueOptions = {}): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of error.issues) {
    const base = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = base ? `${base}.${key}` : key;
        out.push({ path, message: options.unknownField?.(key, path) ?? 'unknown field' });
      }
      continue;
    }
    let message = issue.message;
    const input = (issue as { input?: unknown }).input;
    if (typeof input === 'number' || typeof input === 'string') message += ` (got ${JSON.stringify(input)})`;
    out.push({ path: base || '(root)', message });
  }
  return out;
}

/**
 * Validates `input` against `schema` and returns the resolved (defaulted) value.
 * @throws {@link ConfigError} naming the adapter and the first field at fault (all issues in the message).
 */
export function resolveConfig<S extends z.ZodType>(
  schema: S,
  input: unknown,
  context: { target: string; what?: string },
): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issues = fieldIssues(result.error);
  const first = issues[0];
  const lines = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  throw new ConfigError(`${context.target} ${context.what ?? 'config'} is invalid: ${lines}`, {
    target: context.target,
    ...(first ? { field: first.path } : {}),
  });
}

/** Wrappers that keep a field's type (optional, default, nullable, ...). */
const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch', 'nonoptional']);

/** Zod's definition of a schema, as far as the query conversion needs it. */
interface SchemaDef {
  type?: string;
  innerType?: z.ZodType;
}

function unwrapField(schema: z.ZodType | undefined): z.ZodType | undefined {
  let s = schema;
  for (let def = s?.def as SchemaDef | undefined; def?.type && WRAPPERS.has(def.type); def = s?.def as SchemaDef | undefined)
    s = def.innerType;
  return s;
}

/** The type of the field at `path` in an object schema (`number`, `boolean`, `string`, ...), or undefined. */
export function fieldType(schema: z.ZodType, path: readonly string[]): string | undefined {
  let s = unwrapField(schema);
  for (const key of path) {
    const shape = s instanceof z.ZodObject ? (s.shape as Record<string, z.ZodType>) : undefined;
    s = unwrapField(shape?.[key]);
    if (!s) return undefined;
  }
  return (s?.def as SchemaDef | undefined)?.type;
}

/**
 * Turns URI query parameters into config input for `schema`: a dotted key (`checkpointStore.container`) fills a
 * nested object, and a value becomes a number (`''` becomes NaN, so the schema refuses it) or a boolean (`true`/`1`,
 * `false`/`0`; any other spelling is left a string for the schema to refuse) where the schema's field is one. Other
 * values, and unknown keys, stay strings for the schema to judge.
 * @example
 * ```ts
 * import { configFromQuery, z } from '@speedlayer/core';
 * const schema = z.object({ retries: z.number(), tls: z.boolean(), store: z.object({ container: z.string() }) });
 * configFromQuery(schema, new URLSearchParams('retries=3&tls=true&store.container=x'));
 * // { retries: 3, tls: true, store: { container: 'x' } }
 * ```
 */
export function configFromQuery(schema: z.ZodType, params: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of params) {
    const path = key.split('.');
    let obj = out;
    for (const p of path.slice(0, -1)) {
      if (typeof obj[p] !== 'object' || obj[p] === null) obj[p] = {};
      obj = obj[p] as Record<string, unknown>;
    }
    obj[path[path.length - 1] as string] = queryValue(fieldType(schema, path), raw);
  }
  return out;
}

/** A query value converted for a field of type `type` (see {@link fieldType}). */
export function queryValue(type: string | undefined, raw: string): unknown {
  if (type === 'number') return raw.trim() === '' ? Number.NaN : Number(raw);
  if (type === 'boolean') {
    // Only these four spellings are booleans; anything else (`maybe`, `yes`, ``) stays a string, which the schema
    // refuses naming the field, instead of silently meaning false (plaintext for `?tls=maybe`).
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    return raw;
  }
  return raw;
}

/** JSON Schema of a config schema, for docs and editors. */
export function configJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema) as Record<string, unknown>;
}

/** Reads a secret reference (`env:NAME` or `file:/path`) without ever logging its value. */
export async function readSecretRef(ref: string, field: string): Promise<string> {
  if (ref.startsWith('env:')) {
    const name = ref.slice(4);
    const v = process.env[name];
    if (v === undefined || v === '') throw new ConfigError(`${field}: environment variable ${name} is not set`, { field });
    return v;
  }
  if (ref.startsWith('file:')) {
    const { readFile } = await import('node:fs/promises');
    const path = ref.slice(5);
    try {
      return (await readFile(path, 'utf8')).trim();
    } catch (e) {
      throw new ConfigError(`${field}: cannot read secret file ${path}`, { field, cause: e });
    }
  }
  throw new ConfigError(`${field}: a secret must be a reference "env:VAR" or "file:/path", never a literal`, { field });
}
