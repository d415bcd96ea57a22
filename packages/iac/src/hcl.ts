/**
 * A small Terraform/OpenTofu HCL writer. Output is already in `tofu fmt` layout (two-space indent, `=` aligned
 * across consecutive single-line attributes, as hclwrite does), so `tofu fmt -check` passes without a rewrite.
 * {@link hclToJson} gives the JSON a parser (hcl2json) must return for the written text: the round-trip check.
 *
 * @packageDocumentation
 */

/** A raw HCL expression (reference, function call, template), written as is. */
export class HclExpr {
  constructor(readonly text: string) {}
}

/** A checkov skip written as `# checkov:skip=<id>: <reason>` inside a block; a reason is required. */
export interface CheckovSkip {
  readonly id: string;
  readonly reason: string;
}

/** An HCL block: `type "label" ... { body }`. For nested blocks the type is the body key. */
export interface HclBlock {
  readonly kind: 'block';
  readonly type: string;
  readonly labels: readonly string[];
  readonly body: HclBody;
  readonly skips: readonly CheckovSkip[];
}

/** An attribute value. */
export type HclValue = string | number | boolean | null | HclExpr | readonly HclValue[] | { readonly [key: string]: HclValue };

/** A block body: attributes, nested blocks (a block or list of blocks under their type), `undefined` entries are skipped. */
export type HclBody = { readonly [key: string]: HclValue | HclCall | HclBlock | readonly HclBlock[] | undefined };

/** A raw expression, e.g. `expr('aws_kms_key.this.arn')`. */
export function expr(text: string): HclExpr {
  return new HclExpr(text);
}

/**
 * A template string with interpolations, e.g. `tmpl('${var.name}-logs')`, written between quotes unchanged (quotes
 * inside `${...}` belong to the expression; the caller escapes literal quotes).
 */
export function tmpl(text: string): HclExpr {
  return new HclExpr(`"${text}"`);
}

/** A function call expression; arguments are HCL values. */
export function call(fn: string, ...args: HclValue[]): HclExpr {
  return new HclExpr(`${fn}(${args.map((a) => inline(a)).join(', ')})`);
}

/** Any block. */
export function block(type: string, labels: readonly string[], body: HclBody, skips: readonly CheckovSkip[] = []): HclBlock {
  return { kind: 'block', type, labels, body, skips };
}

/** A `resource "type" "name"` block. */
export function resource(type: string, name: string, body: HclBody, skips: readonly CheckovSkip[] = []): HclBlock {
  return block('resource', [type, name], body, skips);
}

/** A `data "type" "name"` block. */
export function dataSource(type: string, name: string, body: HclBody): HclBlock {
  return block('data', [type, name], body);
}

/** A `variable "name"` block. */
export function variable(name: string, body: HclBody): HclBlock {
  return block('variable', [name], body);
}

/** An `output "name"` block. */
export function output(name: string, body: HclBody): HclBlock {
  return block('output', [name], body);
}

/** A nested block; its type is the key it is stored under. */
export function nested(body: HclBody, skips: readonly CheckovSkip[] = []): HclBlock {
  return block('', [], body, skips);
}

function isBlock(v: unknown): v is HclBlock {
  return typeof v === 'object' && v !== null && (v as HclBlock).kind === 'block' && !(v instanceof HclExpr);
}

function isBlockList(v: unknown): v is readonly HclBlock[] {
  return Array.isArray(v) && v.length > 0 && v.every(isBlock);
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

function quote(s: string): string {
  return `"${s
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
    .replace(/\$\{/g, '$${')
    .replace(/%\{/g, '%%{')}"`;
}

function key(k: string): string {
  if (IDENT.test(k)) return k;
  // A key holding an interpolation (e.g. "${local.oidc}:sub") is a template key, written unescaped.
  if (k.includes('${')) return `"${k.replace(/"/g, '\\"')}"`;
  return quote(k);
}

function isScalar(v: HclValue): boolean {
  return v === null || typeof v !== 'object' || v instanceof HclExpr;
}

/** Single-line form of a value (objects only when empty). */
function inline(v: HclValue): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`HCL cannot hold ${v}`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof HclExpr) return v.text;
  if (Array.isArray(v)) return `[${(v as HclValue[]).map(inline).join(', ')}]`;
  const entries = Object.entries(v as Record<string, HclValue>);
  if (entries.length === 0) return '{}';
  return `{ ${entries.map(([k, x]) => `${key(k)} = ${inline(x)}`).join(', ')} }`;
}

function fitsInline(v: HclValue): boolean {
  if (isScalar(v)) return true;
  if (Array.isArray(v)) return (v as HclValue[]).every(isScalar) && inline(v).length <= 100;
  return Object.keys(v as object).length === 0;
}

type Line = { kind: 'assign'; indent: number; key: string; value: string } | { kind: 'text'; indent: number; text: string };

function valueLines(out: Line[], indent: number, head: string, v: HclValue, tail: string): void {
  // `head` is the text before the value on its first line ("key = " or ""), `tail` what follows the last line ("," or "").
  if (fitsInline(v)) {
    out.push({ kind: 'text', indent, text: `${head}${inline(v)}${tail}` });
    return;
  }
  if (Array.isArray(v)) {
    out.push({ kind: 'text', indent, text: `${head}[` });
    for (const item of v as HclValue[]) valueLines(out, indent + 1, '', item, ',');
    out.push({ kind: 'text', indent, text: `]${tail}` });
    return;
  }
  out.push({ kind: 'text', indent, text: `${head}{` });
  bodyAttrs(out, indent + 1, v as Record<string, HclValue>);
  out.push({ kind: 'text', indent, text: `}${tail}` });
}

function bodyAttrs(out: Line[], indent: number, obj: Record<string, HclValue>): void {
  for (const [k, v] of Object.entries(obj)) attr(out, indent, k, v);
}

function attr(out: Line[], indent: number, k: string, v: HclValue): void {
  if (fitsInline(v)) {
    out.push({ kind: 'assign', indent, key: key(k), value: inline(v) });
    return;
  }
  if (v instanceof HclExpr) throw new Error('unreachable');
  valueLines(out, indent, `${key(k)} = `, v, '');
}

/** A function call whose single argument is written over several lines, e.g. `jsonencode({ ... })`. */
export class HclCall {
  constructor(
    readonly fn: string,
    readonly arg: HclValue,
  ) {}
}

function blockLines(out: Line[], indent: number, b: HclBlock, typeOverride?: string): void {
  const type = typeOverride ?? b.type;
  const labels = b.labels.map((l) => ` ${quote(l)}`).join('');
  out.push({ kind: 'text', indent, text: `${type}${labels} {` });
  for (const s of b.skips) {
    if (!s.reason.trim()) throw new Error(`checkov skip ${s.id} needs a reason`);
    out.push({ kind: 'text', indent: indent + 1, text: `# checkov:skip=${s.id}: ${s.reason}` });
  }
  for (const [k, v] of Object.entries(b.body)) {
    if (v === undefined) continue;
    if (isBlock(v)) blockLines(out, indent + 1, v, k);
    else if (isBlockList(v)) for (const x of v) blockLines(out, indent + 1, x, k);
    else if (Array.isArray(v) && v.length === 0) out.push({ kind: 'assign', indent: indent + 1, key: key(k), value: '[]' });
    else if (v instanceof HclCall) callLines(out, indent + 1, k, v);
    else attr(out, indent + 1, k, v as HclValue);
  }
  out.push({ kind: 'text', indent, text: '}' });
}

function callLines(out: Line[], indent: number, k: string, c: HclCall): void {
  const arg = c.arg;
  if (fitsInline(arg)) {
    out.push({ kind: 'assign', indent, key: key(k), value: `${c.fn}(${inline(arg)})` });
    return;
  }
  const open = Array.isArray(arg) ? '[' : '{';
  const close = Array.isArray(arg) ? ']' : '}';
  out.push({ kind: 'text', indent, text: `${key(k)} = ${c.fn}(${open}` });
  if (Array.isArray(arg)) for (const item of arg as HclValue[]) valueLines(out, indent + 1, '', item, ',');
  else bodyAttrs(out, indent + 1, arg as Record<string, HclValue>);
  out.push({ kind: 'text', indent, text: `${close})` });
}

/** `jsonencode(value)` written over several lines when the value is a non-empty object or list. */
export function jsonencode(value: HclValue): HclCall {
  return new HclCall('jsonencode', value);
}

function renderLines(lines: readonly Line[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.kind === 'text') {
      out.push(line.text === '' ? '' : '  '.repeat(line.indent) + line.text);
      i++;
      continue;
    }
    let j = i;
    let width = 0;
    while (j < lines.length && lines[j]!.kind === 'assign') {
      width = Math.max(width, (lines[j] as { key: string }).key.length);
      j++;
    }
    for (let x = i; x < j; x++) {
      const a = lines[x] as { indent: number; key: string; value: string };
      out.push(`${'  '.repeat(a.indent)}${a.key.padEnd(width)} = ${a.value}`);
    }
    i = j;
  }
  return out.join('\n');
}

/**
 * Renders blocks as an HCL file in `tofu fmt` layout, with optional `#` header comment lines.
 * @example
 * ```ts
 * renderHcl([resource('aws_kms_key', 'this', { enable_key_rotation: true })]);
 * // resource "aws_kms_key" "this" {\n  enable_key_rotation = true\n}\n
 * ```
 */
export function renderHcl(blocks: readonly HclBlock[], header: readonly string[] = []): string {
  const lines: Line[] = header.map((h) => ({ kind: 'text', indent: 0, text: h ? `# ${h}` : '#' }));
  blocks.forEach((b, i) => {
    if (i > 0 || header.length > 0) lines.push({ kind: 'text', indent: 0, text: '' });
    blockLines(lines, 0, b);
  });
  return `${renderLines(lines)}\n`;
}

function jsonValue(v: HclValue | HclCall): unknown {
  if (v instanceof HclCall) return `\${${v.fn}(${inline(v.arg)})}`;
  if (v instanceof HclExpr) {
    const t = v.text;
    if (/^"(?:[^"\\]|\\.)*"$/.test(t)) return JSON.parse(t.replace(/\$\$\{/g, '${'));
    return `\${${t}}`;
  }
  if (Array.isArray(v)) return (v as HclValue[]).map(jsonValue);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, HclValue>;
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, jsonValue(x)]));
  }
  return v;
}

function bodyJson(body: HclBody): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    if (v === undefined) continue;
    if (isBlock(v)) out[k] = [...((out[k] as unknown[]) ?? []), bodyJson(v.body)];
    else if (isBlockList(v)) out[k] = [...((out[k] as unknown[]) ?? []), ...v.map((b) => bodyJson(b.body))];
    else out[k] = jsonValue(v as HclValue | HclCall);
  }
  return out;
}

/**
 * The JSON an HCL-to-JSON parser (tmccombs/hcl2json, as in `@cdktn/hcl2json`) returns for {@link renderHcl}'s
 * output: blocks nest by type and labels and end in a list of bodies; expressions appear as `"${...}"`.
 * Compare with {@link normalizeHclJson} applied to both sides (expression whitespace is not significant).
 */
export function hclToJson(blocks: readonly HclBlock[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const b of blocks) {
    let node: Record<string, unknown> = root;
    const path = [b.type, ...b.labels];
    for (let i = 0; i < path.length - 1; i++) {
      const k = path[i]!;
      node[k] ??= {};
      node = node[k] as Record<string, unknown>;
    }
    const last = path[path.length - 1]!;
    node[last] = [...((node[last] as unknown[]) ?? []), bodyJson(b.body)];
  }
  return root;
}

/**
 * Removes whitespace and commas inside `${...}` expression strings so parser output and expectations compare
 * equal (both are layout, not meaning, in a multi-line expression).
 */
export function normalizeHclJson(v: unknown): unknown {
  if (typeof v === 'string') return v.startsWith('${') && v.endsWith('}') ? v.replace(/[\s,]+/g, '') : v;
  if (Array.isArray(v)) return v.map(normalizeHclJson);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, normalizeHclJson(x)]));
  }
  return v;
}
