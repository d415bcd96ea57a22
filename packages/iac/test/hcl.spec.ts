// biome-ignore-all lint/suspicious/noTemplateCurlyInString: this file writes IaC text whose ${...} are HCL, CloudFormation or envsubst placeholders, not JS templates
import { describe, expect, it } from 'vitest';
import {
  block,
  expr,
  hclToJson,
  jsonencode,
  nested,
  normalizeHclJson,
  renderHcl,
  resource,
  tmpl,
  variable,
} from '../src/index.js';
import { parseHcl } from '../src/validate/index.js';

const blocks = [
  block('terraform', [], { required_providers: nested({ aws: { source: 'hashicorp/aws', version: '>= 5.0' } } as never) }),
  variable('subnets', { type: expr('list(string)'), description: 'Private "subnets"\nwith a newline and ${not} interpolation' }),
  resource(
    'aws_kms_key',
    'this',
    {
      description: 'key',
      enable_key_rotation: true,
      deletion_window_in_days: 30,
      tags: { Name: tmpl('${var.name}-key'), 'app.kubernetes.io/name': 'x' },
      policy: jsonencode({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['kms:Decrypt'], Resource: '*', Condition: { StringEquals: { '${local.oidc}:sub': 'sa' } } },
        ],
      }) as never,
      grants: [nested({ name: 'a' }), nested({ name: 'b' })],
      nothing: undefined,
    },
    [{ id: 'CKV_AWS_7', reason: 'rotation handled elsewhere' }],
  ),
];

describe('iac/hcl', () => {
  it('writes HCL that the hcl2json WASM parser reads back to the same structure', async () => {
    const text = renderHcl(blocks, ['header line']);
    const parsed = await parseHcl('main.tf', text);
    expect(normalizeHclJson(parsed)).toEqual(normalizeHclJson(hclToJson(blocks)));
  });

  it('escapes literal strings so quotes, newlines and ${ stay literal', async () => {
    const parsed = (await parseHcl('v.tf', renderHcl([blocks[1]!]))) as { variable: { subnets: { description: string }[] } };
    expect(parsed.variable.subnets[0]!.description).toBe('Private "subnets"\nwith a newline and ${not} interpolation');
  });

  it('aligns = across consecutive single-line attributes, as tofu fmt does', () => {
    const text = renderHcl([resource('x', 'y', { a: 1, long_name: 2, obj: { k: 1 }, b: 3 })]);
    expect(text).toBe('resource "x" "y" {\n  a         = 1\n  long_name = 2\n  obj = {\n    k = 1\n  }\n  b = 3\n}\n');
  });

  it('writes checkov skips as comments inside the block and refuses a skip without a reason', () => {
    expect(renderHcl([blocks[2]!])).toContain('  # checkov:skip=CKV_AWS_7: rotation handled elsewhere\n');
    expect(() => renderHcl([resource('x', 'y', {}, [{ id: 'CKV_1', reason: ' ' }])])).toThrow(/needs a reason/);
  });

  it('rejects text the parser cannot read (the round trip can fail)', async () => {
    await expect(parseHcl('bad.tf', 'resource "x" "y" {\n  a = \n')).rejects.toThrow();
  });
});
