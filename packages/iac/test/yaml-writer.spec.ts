// biome-ignore-all lint/suspicious/noTemplateCurlyInString: this file writes IaC text whose ${...} are HCL, CloudFormation or envsubst placeholders, not JS templates
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Tagged, writeYaml } from '../src/index.js';

const tricky = {
  plain: 'speedlayer',
  label: 'app.kubernetes.io/name',
  words: ['yes', 'no', 'on', 'off', 'y', 'n', 'true', 'False', 'null', '~', ''],
  numbers: ['123', '0.5', '1e3', '-1', '+1', '0x1F', '2026-01-01', '.inf'],
  colon: 'a: b',
  hash: 'a #b',
  trailing: 'ends with:',
  quote: "it's",
  newline: 'line1\nline2\ttab',
  dollar: '$(SPEEDLAYER_STREAM)',
  placeholder: 'msk://${MSK_CLUSTER_ARN}',
  spaces: ' lead',
  nums: [0, 1.5, -3],
  bools: [true, false],
  nothing: null,
  empty: { map: {}, list: [] },
  nested: [{ name: 'a', ports: [{ port: 53, protocol: 'UDP' }] }, [1, [2, 3]], 'x'],
};

describe('iac/yaml-writer', () => {
  it('writes YAML that the yaml package reads back unchanged, as YAML 1.2 and as YAML 1.1', () => {
    const text = writeYaml(tricky, ['header']);
    expect(parse(text)).toEqual(tricky);
    expect(parse(text, { version: '1.1' })).toEqual(tricky);
  });

  it('writes plain scalars only where they are unambiguous', () => {
    const text = writeYaml({ a: 'speedlayer', b: 'yes', c: '10', d: 'x: y' });
    expect(text).toBe("a: speedlayer\nb: 'yes'\nc: '10'\nd: 'x: y'\n");
  });

  it('writes local tags on scalars, lists and maps', () => {
    const text = writeYaml({
      A: new Tagged('!Ref', 'Key'),
      B: new Tagged('!Join', [',', [new Tagged('!Ref', 'X'), 'b']]),
      C: [new Tagged('!Sub', 'a-${X}')],
    });
    expect(text).toBe("A: !Ref Key\nB: !Join\n  - ','\n  - - !Ref X\n    - b\nC:\n  - !Sub a-${X}\n");
    expect(() => writeYaml({ A: new Tagged('!A', new Tagged('!B', 'x')) })).toThrow(/one tag/);
  });

  it('refuses values YAML cannot hold', () => {
    expect(() => writeYaml({ a: Number.NaN })).toThrow();
    expect(() => writeYaml({ a: () => 1 } as never)).toThrow(/unsupported/);
  });
});
