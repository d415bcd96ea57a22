/**
 * CloudFormation templates as YAML with the short intrinsic-function tags (`!Ref`, `!GetAtt`, `!Sub`, ...),
 * written and read with the `yaml` package. Templates are built in CloudFormation's long JSON form
 * (`{ Ref: 'X' }`, `{ 'Fn::GetAtt': ['X', 'Arn'] }`) and turned into tags when written; reading turns tags
 * back into the long form, so `parseCfnYaml(writeCfnYaml(t))` deep-equals `t`.
 *
 * @packageDocumentation
 */
import { isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import { Tagged, writeYaml } from './yaml-writer.js';

/** A CloudFormation template in long (JSON) form. */
export interface CfnTemplate {
  AWSTemplateFormatVersion: '2010-09-09';
  Description: string;
  Metadata?: Record<string, unknown>;
  Parameters?: Record<string, Record<string, unknown>>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, Record<string, unknown>>;
}

/** One resource. `Metadata.checkov.skip` carries checkov skips with their reasons. */
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  DeletionPolicy?: 'Delete' | 'Retain' | 'Snapshot';
  UpdateReplacePolicy?: 'Delete' | 'Retain' | 'Snapshot';
  Condition?: string;
  Metadata?: Record<string, unknown>;
}

/** Intrinsic functions with a YAML short form. */
const INTRINSICS = [
  'Ref',
  'Condition',
  'Fn::Base64',
  'Fn::Cidr',
  'Fn::FindInMap',
  'Fn::GetAtt',
  'Fn::GetAZs',
  'Fn::ImportValue',
  'Fn::Join',
  'Fn::Select',
  'Fn::Split',
  'Fn::Sub',
  'Fn::And',
  'Fn::Equals',
  'Fn::If',
  'Fn::Not',
  'Fn::Or',
] as const;

function shortTag(longName: string): string {
  return `!${longName.replace(/^Fn::/, '')}`;
}

const BY_TAG = new Map<string, string>(INTRINSICS.map((n) => [shortTag(n), n]));

/** `{ Ref: name }`. */
export const ref = (name: string) => ({ Ref: name });
/** `{ 'Fn::GetAtt': [resource, attribute] }`. */
export const getAtt = (resource: string, attribute: string) => ({ 'Fn::GetAtt': [resource, attribute] });
/** `{ 'Fn::Sub': template }` (or with a variable map). */
export const sub = (template: string, vars?: Record<string, unknown>) => ({ 'Fn::Sub': vars ? [template, vars] : template });
/** `{ 'Fn::Join': [sep, parts] }`. */
export const join = (sep: string, parts: unknown[]) => ({ 'Fn::Join': [sep, parts] });
/** `{ 'Fn::Select': [index, list] }`. */
export const select = (index: number, list: unknown) => ({ 'Fn::Select': [index, list] });
/** `{ 'Fn::Split': [sep, value] }`. */
export const split = (sep: string, value: unknown) => ({ 'Fn::Split': [sep, value] });
/** `{ 'Fn::GetAZs': region }`. */
export const getAZs = (region = '') => ({ 'Fn::GetAZs': region });

function intrinsicName(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const keys = Object.keys(v);
  if (keys.length !== 1) return undefined;
  const k = keys[0]!;
  return (INTRINSICS as readonly string[]).includes(k) ? k : undefined;
}

function toTagged(v: unknown): unknown {
  const fn = intrinsicName(v);
  if (fn) {
    let arg = (v as Record<string, unknown>)[fn];
    if (fn === 'Fn::GetAtt' && Array.isArray(arg) && arg.length === 2 && arg.every((x) => typeof x === 'string')) {
      arg = `${arg[0]}.${arg[1]}`;
    }
    const inner = toTagged(arg);
    // A node holds one tag: keep the outer function in long form around a tagged inner one.
    if (inner instanceof Tagged) return { [fn]: inner };
    return new Tagged(shortTag(fn), inner);
  }
  if (Array.isArray(v)) return v.map(toTagged);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== undefined)
        .map(([k, x]) => [k, toTagged(x)]),
    );
  }
  return v;
}

/**
 * Writes a template as CloudFormation YAML with short intrinsic tags and `#` header lines.
 * @example
 * ```ts
 * writeCfnYaml({ AWSTemplateFormatVersion: '2010-09-09', Description: 'x',
 *   Resources: { Key: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } } },
 *   Outputs: { KeyArn: { Value: getAtt('Key', 'Arn') } } });
 * // ... Value: !GetAtt Key.Arn
 * ```
 */
export function writeCfnYaml(template: CfnTemplate, header: readonly string[] = []): string {
  return writeYaml(toTagged(template) as Record<string, unknown>, header);
}

function fromNode(node: unknown): unknown {
  if (isScalar(node)) {
    return wrap(node.tag, node.value);
  }
  if (isSeq(node)) {
    return wrap(
      node.tag,
      node.items.map((x) => fromNode(x)),
    );
  }
  if (isMap(node)) {
    const o: Record<string, unknown> = {};
    for (const p of node.items) {
      if (!isPair(p)) continue;
      const k = isScalar(p.key) ? String(p.key.value) : String(p.key);
      o[k] = fromNode(p.value);
    }
    return wrap(node.tag, o);
  }
  return node ?? null;
}

function wrap(tag: string | undefined, value: unknown): unknown {
  if (!tag?.startsWith('!') || tag.startsWith('!!')) return value;
  const fn = BY_TAG.get(tag);
  if (!fn) throw new Error(`unknown CloudFormation tag ${tag}`);
  if (fn === 'Fn::GetAtt' && typeof value === 'string') {
    const dot = value.indexOf('.');
    return { [fn]: [value.slice(0, dot), value.slice(dot + 1)] };
  }
  return { [fn]: value };
}

/**
 * Reads CloudFormation YAML (short or long intrinsic forms) into the long JSON form.
 * @throws Error when the text is not YAML or uses an unknown `!` tag.
 */
export function parseCfnYaml(text: string): CfnTemplate {
  const doc = parseDocument(text, {
    customTags: [...BY_TAG.keys()].flatMap((tag) => [
      { tag, resolve: (s: string) => s },
      { tag, collection: 'seq' as const, resolve: (s: unknown) => s as never },
      { tag, collection: 'map' as const, resolve: (m: unknown) => m as never },
    ]),
    keepSourceTokens: false,
  });
  if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('; '));
  return fromNode(doc.contents) as CfnTemplate;
}

/** A checkov skip for a CloudFormation resource, as resource Metadata. */
export function cfnCheckovSkips(skips: readonly { id: string; reason: string }[]): Record<string, unknown> {
  for (const s of skips) if (!s.reason.trim()) throw new Error(`checkov skip ${s.id} needs a reason`);
  return { checkov: { skip: skips.map((s) => ({ id: s.id, comment: s.reason })) } };
}
