// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here are deploy-time placeholders, not JS templates
import { describe, expect, it } from 'vitest';
import { block, output, pinnedImage, resource, terraformFileOf, terraformFiles, variable } from '../src/index.js';

describe('iac/terraform layout', () => {
  it('puts each block in its idiomatic file: versions, variables, outputs, main, resources by concern', () => {
    const cases: [Parameters<typeof terraformFileOf>[0], string][] = [
      [block('terraform', [], {}), 'versions.tf'],
      [block('provider', ['aws'], {}), 'versions.tf'],
      [variable('region', {}), 'variables.tf'],
      [output('arn', {}), 'outputs.tf'],
      [block('locals', [], {}), 'main.tf'],
      [resource('aws_kms_key', 'this', {}), 'encryption.tf'],
      [resource('azurerm_key_vault_key', 'this', {}), 'encryption.tf'],
      [resource('aws_vpc_endpoint', 'x', {}), 'network.tf'],
      [resource('google_dns_record_set', 'x', {}), 'network.tf'],
      [resource('kafka_topic', 'this', {}), 'stream.tf'],
      [resource('google_pubsub_subscription', 'x', {}), 'stream.tf'],
      [resource('aws_iam_role', 'worker', {}), 'identity.tf'],
      [resource('google_pubsub_topic_iam_member', 'x', {}), 'identity.tf'],
      [resource('google_service_account', 'worker', {}), 'identity.tf'],
      [resource('aws_eks_cluster', 'this', {}), 'compute.tf'],
      [resource('google_container_node_pool', 'w', {}), 'compute.tf'],
      [resource('aws_cloudwatch_log_group', 'w', {}), 'monitoring.tf'],
      [resource('something_else', 'w', {}), 'main.tf'],
    ];
    for (const [b, file] of cases)
      expect(`${b.labels[0] ?? b.type}: ${terraformFileOf(b)}`).toBe(`${b.labels[0] ?? b.type}: ${file}`);
  });

  it('writes the files in a fixed order, each with the header, and skips empty ones', () => {
    const files = terraformFiles(
      [output('a', { value: 1 }), resource('aws_kms_key', 'k', {}), variable('v', {}), block('terraform', [], {})],
      ['hello'],
    );
    expect(files.map((f) => f.path)).toEqual([
      'terraform/versions.tf',
      'terraform/variables.tf',
      'terraform/encryption.tf',
      'terraform/outputs.tf',
    ]);
    for (const f of files) expect(f.content.startsWith('# hello\n')).toBe(true);
  });
});

describe('iac/pinnedImage', () => {
  it('keeps a digest, and replaces a tag (or none) with the deploy-time digest placeholder', () => {
    const digest = `ghcr.io/a/b@sha256:${'0'.repeat(64)}`;
    expect(pinnedImage(digest)).toBe(digest);
    expect(pinnedImage('ghcr.io/speedlayer/worker:0.1.0')).toBe('ghcr.io/speedlayer/worker@${WORKER_IMAGE_DIGEST}');
    expect(pinnedImage('localhost:5000/worker')).toBe('localhost:5000/worker@${WORKER_IMAGE_DIGEST}');
    expect(pinnedImage('worker')).toBe('worker@${WORKER_IMAGE_DIGEST}');
  });
});
