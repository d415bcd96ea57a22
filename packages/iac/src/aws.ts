// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the ${...} here are HCL interpolations, not JS templates
/**
 * Terraform fragments shared by the two AWS emitters (aws-msk-eks, aws-kinesis-ecs).
 *
 * @packageDocumentation
 */
import { type CfnResource, ref } from './cfn.js';
import { expr, type HclBlock, type HclValue, jsonencode, nested, resource, tmpl } from './hcl.js';

/** Options of {@link awsKmsKey}. */
export interface AwsKmsKeyOptions {
  /** Workload name (alias `alias/speedlayer-<name>`). */
  name: string;
  /** What the key encrypts, for its description. */
  purpose: string;
  /** Tags expression (leave out when the provider's default_tags tag everything). */
  tags?: HclValue;
  /** Narrows the CloudWatch Logs grant to log groups under `/speedlayer/<name>`. @default false */
  scopeLogsToWorkload?: boolean;
}

/**
 * The customer-managed, rotating KMS key (and its alias) that encrypts a workload's stream, state and logs:
 * the account administers it; CloudWatch Logs in the region may use it.
 */
export function awsKmsKey(o: AwsKmsKeyOptions): HclBlock[] {
  const logs: Record<string, HclValue> = {
    Sid: 'CloudWatchLogs',
    Effect: 'Allow',
    Principal: { Service: tmpl('logs.${var.region}.amazonaws.com') },
    Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    Resource: '*',
  };
  if (o.scopeLogsToWorkload) {
    logs.Condition = {
      ArnLike: {
        'kms:EncryptionContext:aws:logs:arn': tmpl(
          'arn:${data.aws_partition.current.partition}:logs:${var.region}:${data.aws_caller_identity.current.account_id}:log-group:/speedlayer/' +
            o.name,
        ),
      },
    };
  }
  return [
    resource('aws_kms_key', 'this', {
      description: `speedlayer ${o.name}: ${o.purpose}`,
      enable_key_rotation: true,
      deletion_window_in_days: 30,
      policy: jsonencode({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'AccountAdmin',
            Effect: 'Allow',
            Principal: {
              AWS: tmpl('arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root'),
            },
            Action: 'kms:*',
            Resource: '*',
          },
          logs,
        ],
      }) as never,
      tags: o.tags,
    }),
    resource('aws_kms_alias', 'this', { name: `alias/speedlayer-${o.name}`, target_key_id: expr('aws_kms_key.this.key_id') }),
  ];
}

/**
 * The security group of a stack's VPC interface endpoints (`aws_security_group.endpoints`): HTTPS from the VPC
 * (`var.vpc_cidr`) only.
 * @param what the endpoints it guards, for its description, e.g. `STS`.
 */
export function awsEndpointSecurityGroup(name: string, what: string): HclBlock {
  return resource('aws_security_group', 'endpoints', {
    name: `${name}-endpoints`,
    description: `VPC interface endpoints (${what}): HTTPS from inside the VPC`,
    vpc_id: expr('var.vpc_id'),
    ingress: nested({
      description: 'HTTPS from the VPC',
      from_port: 443,
      to_port: 443,
      protocol: 'tcp',
      cidr_blocks: [expr('var.vpc_cidr')],
    }),
  });
}

/** {@link awsEndpointSecurityGroup} for CloudFormation (parameters `VpcId` and `VpcCidr`). */
export function awsEndpointSecurityGroupCfn(what: string, tags: readonly { Key: string; Value: string }[]): CfnResource {
  return {
    Type: 'AWS::EC2::SecurityGroup',
    Properties: {
      GroupDescription: `VPC interface endpoints (${what}): HTTPS from inside the VPC`,
      VpcId: ref('VpcId'),
      SecurityGroupIngress: [
        { Description: 'HTTPS from the VPC', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: ref('VpcCidr') },
      ],
      SecurityGroupEgress: [
        { Description: 'no egress needed', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: ref('VpcCidr') },
      ],
      Tags: [...tags],
    },
  };
}
