/**
 * A small, fast block-style YAML writer for the plain data emitters produce (maps, lists, strings, numbers,
 * booleans, null) plus local tags (`!Ref`, `!GetAtt`, ...). The `yaml` package reads everything back (tests parse
 * every emitted file with it); it writes about 50x slower than this, which dominated planning time.
 * Strings are written plain only when plain is unambiguous for YAML 1.1 and 1.2 readers (Kubernetes' go-yaml reads
 * `yes`/`on` as booleans), otherwise single-quoted, or double-quoted with JSON escapes when they hold control characters.
 *
 * @packageDocumentation
 */

/** A value with a local tag, written as `!Tag value`. */
export class Tagged {
  constructor(
    readonly tag: string,
    readonly value: unknown,
  ) {}
}

const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./:@=+\-${}()*,]*(?: [A-Za-z0-9_./:@=+\-${}()*,]+)*$/;
const RESERVED = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~|=|<<)$/;

function scalarString(s: string): string {
  if (PLAIN.test(s) && !RESERVED.test(s) && !s.includes(': ') && !s.includes(' #') && !s.endsWith(':') && !/^[0-9.+-]/.test(s)) {
    return s;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters force double quotes
  if (/[\u0000-\u001f\u007f\u2028\u2029]/.test(s)) return JSON.stringify(s);
  return `'${s.replace(/'/g, "''")}'`;
}

function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return scalarString(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`YAML writer: cannot write ${v}`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  throw new Error(`YAML writer: unsupported value ${typeof v}`);
}

function isCollection(v: unknown): v is Record<string, unknown> | unknown[] {
  return typeof v === 'object' && v !== null && !(v instanceof Tagged);
}

function isEmpty(v: Record<string, unknown> | unknown[]): boolean {
  return Array.isArray(v) ? v.length === 0 : Object.keys(v).filter((k) => v[k] !== undefined).length === 0;
}

/** Writes `value` after `prefix` ("key:" or "-") at `indent`, appending lines to `out`. */
function node(out: string[], indent: string, prefix: string, value: unknown, inSeq: boolean): void {
  let tag = '';
  let v = value;
  if (v instanceof Tagged) {
    tag = `${v.tag}`;
    v = v.value;
    if (v instanceof Tagged) throw new Error('YAML writer: a node holds one tag');
  }
  const head = tag ? `${prefix} ${tag}` : prefix;
  if (!isCollection(v)) {
    out.push(`${indent}${head} ${scalar(v)}`);
    return;
  }
  if (isEmpty(v)) {
    out.push(`${indent}${head} ${Array.isArray(v) ? '[]' : '{}'}`);
    return;
  }
  // A map that is a sequence item starts on the dash line when untagged: "- key: value".
  if (inSeq && !tag && !Array.isArray(v)) {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined);
    const child = `${indent}  `;
    entries.forEach(([k, x], i) => {
      const sub: string[] = [];
      node(sub, child, `${key(k)}:`, x, false);
      if (i === 0) sub[0] = `${indent}${prefix} ${sub[0]!.slice(child.length)}`;
      out.push(...sub);
    });
    return;
  }
  // A list that is a sequence item starts on the dash line when untagged: "- - a".
  if (inSeq && !tag) {
    const child = `${indent}  `;
    const sub: string[] = [];
    body(sub, child, v);
    sub[0] = `${indent}${prefix} ${sub[0]!.slice(child.length)}`;
    out.push(...sub);
    return;
  }
  out.push(`${indent}${head}`);
  body(out, `${indent}  `, v);
}

function key(k: string): string {
  return scalarString(k);
}

function body(out: string[], indent: string, v: Record<string, unknown> | unknown[]): void {
  if (Array.isArray(v)) {
    for (const item of v) node(out, indent, '-', item, true);
    return;
  }
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined) continue;
    node(out, indent, `${key(k)}:`, x, false);
  }
}

/**
 * Writes one YAML document (a map or list at the top) in block style, with `#` header lines.
 * @example
 * ```ts
 * writeYaml({ kind: 'ConfigMap', data: { on: 'yes' } }); // "kind: ConfigMap\ndata:\n  'on': 'yes'\n"
 * ```
 */
export function writeYaml(value: Record<string, unknown> | unknown[], header: readonly string[] = []): string {
  const out: string[] = header.map((h) => (h ? `# ${h}` : '#'));
  if (isEmpty(value)) out.push(Array.isArray(value) ? '[]' : '{}');
  else body(out, '', value);
  return `${out.join('\n')}\n`;
}
