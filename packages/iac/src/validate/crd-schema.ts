import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { strimziCrds } from './kube-dry-run.js';

/** One JSON-schema node of a CRD's `openAPIV3Schema` (only the parts this module reads or rewrites). */
interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  [keyword: string]: unknown;
}

interface CrdDocument {
  kind?: string;
  spec?: {
    group: string;
    names: { kind: string };
    versions: { name: string; served?: boolean; schema?: { openAPIV3Schema?: SchemaNode } }[];
  };
}

// The ObjectMeta fields the API server checks on a custom resource before its schema: a DNS-1123 subdomain name, a
// DNS-1123 label namespace, and string-valued labels and annotations. A CRD's own schema says only `metadata: object`.
const DNS1123_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const DNS1123_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const OBJECT_META: SchemaNode = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', maxLength: 253, pattern: DNS1123_SUBDOMAIN },
    namespace: { type: 'string', maxLength: 63, pattern: DNS1123_LABEL },
    labels: { type: 'object', additionalProperties: { type: 'string', maxLength: 63 } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
  },
};

/** A copy of a schema node with `f` applied to each direct subschema. */
function mapSubschemas(node: SchemaNode, f: (child: SchemaNode) => SchemaNode): SchemaNode {
  const out: SchemaNode = { ...node };
  if (node.properties) out.properties = Object.fromEntries(Object.entries(node.properties).map(([k, v]) => [k, f(v)]));
  if (node.items) out.items = f(node.items);
  if (typeof node.additionalProperties === 'object') out.additionalProperties = f(node.additionalProperties);
  for (const k of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (Array.isArray(node[k])) out[k] = (node[k] as SchemaNode[]).map(f);
  }
  if (node.not) out.not = f(node.not as SchemaNode);
  return out;
}

/**
 * A structural schema as the API server applies it with `fieldValidation=Strict`: an object node that lists its
 * `properties` and neither allows `additionalProperties` nor sets `x-kubernetes-preserve-unknown-fields` rejects any
 * other field (the server would prune it, or refuse it under strict validation). Nodes under `oneOf`, `anyOf`,
 * `allOf` and `not` are value validations: in a structural schema they only constrain, never declare fields, and
 * have no `type`, so they are left open.
 */
function strict(node: SchemaNode): SchemaNode {
  const out = mapSubschemas(node, strict);
  if (
    node.type === 'object' &&
    node.properties &&
    node.additionalProperties === undefined &&
    node['x-kubernetes-preserve-unknown-fields'] !== true
  ) {
    out.additionalProperties = false;
  }
  return out;
}

/**
 * The same schema with every subtree that occurs more than once (Strimzi repeats its pod, container and service
 * templates for each component) moved to `definitions` and referenced, so ajv compiles each one once: about four
 * times less compile time for the `Kafka` CRD. Error paths are unchanged (they follow the data, not the schema).
 */
function deduplicated(root: SchemaNode): SchemaNode {
  const seen = new Map<string, number>();
  const count = (n: SchemaNode): SchemaNode => {
    const text = JSON.stringify(n);
    if (text.length > 150) seen.set(text, (seen.get(text) ?? 0) + 1);
    return mapSubschemas(n, count);
  };
  count(root);
  const definitions: Record<string, SchemaNode> = {};
  const ids = new Map<string, string>();
  const hoist = (n: SchemaNode): SchemaNode => {
    const text = JSON.stringify(n);
    if ((seen.get(text) ?? 0) < 2) return mapSubschemas(n, hoist);
    let id = ids.get(text);
    if (id === undefined) {
      id = `s${ids.size}`;
      ids.set(text, id);
      definitions[id] = mapSubschemas(n, hoist);
    }
    return { $ref: `#/definitions/${id}` };
  };
  return { ...mapSubschemas(root, hoist), definitions };
}

/** `/spec/acls/0/operations` as `spec.acls[0].operations`. */
function dotted(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, seg) => (/^\d+$/.test(seg) ? `${path}[${seg}]` : path ? `${path}.${seg}` : seg), '');
}

/** The path an error is about: for an unknown or missing field, the field itself. */
function errorPath(e: ErrorObject): string {
  const field =
    e.keyword === 'additionalProperties'
      ? (e.params as { additionalProperty: string }).additionalProperty
      : e.keyword === 'required'
        ? (e.params as { missingProperty: string }).missingProperty
        : undefined;
  const base = dotted(e.instancePath);
  return field === undefined ? base || '(root)' : base ? `${base}.${field}` : field;
}

function errorText(e: ErrorObject): string {
  switch (e.keyword) {
    case 'additionalProperties':
      return 'unknown field';
    case 'required':
      return 'required field missing';
    case 'enum':
      return `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return e.message ?? e.keyword;
  }
}

/** One schema violation inside an object, with the dotted path of the field (`spec.replicas`). */
export interface CrdSchemaError {
  readonly path: string;
  readonly message: string;
}

/**
 * Validates custom resources against the `openAPIV3Schema` of the CRDs that define them, as a kube-apiserver with
 * `fieldValidation=Strict` would (ajv, JSON-schema semantics of structural schemas, unknown fields rejected).
 * CEL rules (`x-kubernetes-validations`) are not evaluated here: {@link kubeServerDryRun} against a real API server
 * checks those. Each served version of each CRD is compiled on first use.
 */
export class CrdSchemas {
  readonly #ajv = new Ajv({
    allErrors: true,
    // The CRDs carry Kubernetes' `x-kubernetes-*` extensions, and put `pattern` next to `anyOf: [integer, string]`
    // (int-or-string); ajv's strict mode refuses both, though both are valid OpenAPI as Kubernetes reads it.
    strict: false,
    // Keep each `definitions` entry one function (see deduplicated) instead of inlining it at every reference.
    inlineRefs: false,
  });
  readonly #schemas = new Map<string, SchemaNode>();
  readonly #compiled = new Map<string, ValidateFunction>();

  constructor(crds: readonly Record<string, unknown>[]) {
    for (const crd of crds as readonly CrdDocument[]) {
      if (crd.kind !== 'CustomResourceDefinition' || !crd.spec) continue;
      for (const v of crd.spec.versions) {
        const schema = v.schema?.openAPIV3Schema;
        if (v.served === false || !schema) continue;
        this.#schemas.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, schema);
      }
    }
  }

  /** `group/version/Kind` keys of every served version, e.g. `kafka.strimzi.io/v1/KafkaTopic`. */
  get kinds(): string[] {
    return [...this.#schemas.keys()];
  }

  /** Whether a schema is known for `apiVersion/kind` (`kafka.strimzi.io/v1/Kafka`). */
  has(key: string): boolean {
    return this.#schemas.has(key);
  }

  /** The violations of one object (empty when valid); throws for a kind with no known schema. */
  validate(object: Record<string, unknown>): CrdSchemaError[] {
    const key = `${String(object.apiVersion)}/${String(object.kind)}`;
    const validate = this.#validator(key);
    if (validate(object)) return [];
    const seen = new Set<string>();
    const out: CrdSchemaError[] = [];
    for (const e of validate.errors ?? []) {
      const err = { path: errorPath(e), message: errorText(e) };
      const id = `${err.path}\0${err.message}`;
      if (!seen.has(id)) out.push(err);
      seen.add(id);
    }
    return out;
  }

  #validator(key: string): ValidateFunction {
    const done = this.#compiled.get(key);
    if (done) return done;
    const schema = this.#schemas.get(key);
    if (!schema) throw new Error(`no CRD schema known for ${key}`);
    const root = deduplicated(strict(schema));
    const required = new Set(['apiVersion', 'kind', 'metadata', ...((root.required as string[] | undefined) ?? [])]);
    const compiled = this.#ajv.compile({
      ...root,
      required: [...required],
      properties: { ...root.properties, metadata: OBJECT_META },
    });
    this.#compiled.set(key, compiled);
    return compiled;
  }
}

let strimzi: CrdSchemas | undefined;

/** The schemas of the Strimzi CRDs bundled with this package ({@link strimziCrds}), loaded once. */
export function strimziSchemas(): CrdSchemas {
  strimzi ??= new CrdSchemas(strimziCrds());
  return strimzi;
}
