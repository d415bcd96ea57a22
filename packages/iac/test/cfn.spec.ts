// biome-ignore-all lint/suspicious/noTemplateCurlyInString: this file writes IaC text whose ${...} are HCL, CloudFormation or envsubst placeholders, not JS templates
import { describe, expect, it } from 'vitest';
import { type CfnTemplate, getAtt, getAZs, join, parseCfnYaml, ref, select, split, sub, writeCfnYaml } from '../src/index.js';

const template: CfnTemplate = {
  AWSTemplateFormatVersion: '2010-09-09',
  Description: 'round trip',
  Parameters: { Subnets: { Type: 'List<AWS::EC2::Subnet::Id>' } },
  Resources: {
    Key: {
      Type: 'AWS::KMS::Key',
      Properties: { EnableKeyRotation: true, Description: '123', KeyPolicy: { Version: '2012-10-17' } },
    },
    Topic: {
      Type: 'X::Y::Z',
      Properties: {
        Arn: getAtt('Key', 'Arn'),
        Az: select(0, getAZs('')),
        Name: sub('${AWS::StackName}-x'),
        Joined: join(',', [ref('Subnets'), 'b']),
        WithVars: sub('${Host}:sub', { Host: select(1, split('//', getAtt('Key', 'Arn'))) }),
        Encoded: { 'Fn::Base64': sub('echo ${AWS::Region}') },
      },
    },
  },
  Outputs: { KeyArn: { Value: getAtt('Key', 'Arn') } },
};

describe('iac/cfn', () => {
  it('writes short intrinsic tags and reads them back to the long form', () => {
    const text = writeCfnYaml(template, ['generated']);
    expect(text).toContain('!GetAtt Key.Arn');
    expect(text).toContain('!Select');
    expect(text).toContain('!GetAZs');
    expect(text).toContain("'2010-09-09'");
    expect(parseCfnYaml(text)).toEqual(template);
  });

  it('keeps an outer function in long form when its argument is itself a tagged function', () => {
    const text = writeCfnYaml(template);
    expect(text).toMatch(/Fn::Base64: !Sub/);
  });

  it('quotes strings that YAML would read as numbers or booleans', () => {
    const t = parseCfnYaml(writeCfnYaml(template));
    expect(t.Resources.Key!.Properties!.Description).toBe('123');
  });

  it('refuses an unknown ! tag', () => {
    expect(() => parseCfnYaml('A: !Bogus x\n')).toThrow(/unknown CloudFormation tag !Bogus/);
  });
});
