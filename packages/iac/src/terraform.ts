/**
 * The idiomatic Terraform layout of an emitted root module: `versions.tf` (terraform and provider blocks),
 * `variables.tf`, `outputs.tf`, `main.tf` (locals and data sources) and one file per concern for the resources
 * (`encryption.tf`, `network.tf`, `stream.tf`, `identity.tf`, `compute.tf`, `monitoring.tf`). The concern of a
 * resource follows from its type, so every target splits the same way.
 *
 * @packageDocumentation
 */
import { type HclBlock, renderHcl } from './hcl.js';

/** A concern file and the resource types that belong to it (first match wins). */
const CONCERNS: readonly (readonly [file: string, type: RegExp])[] = [
  ['monitoring.tf', /(_log_group|_log_analytics|_monitor_|_audit_config|_cloudwatch_)/],
  ['encryption.tf', /(_kms_|_key_vault|_disk_encryption_set)/],
  ['network.tf', /(_security_group|_vpc_endpoint|_private_endpoint|_private_dns|_dns_)/],
  [
    'identity.tf',
    /(_iam_|_role_assignment|_federated_identity|_user_assigned_identity|_service_account$|_service_account_iam|_openid_connect|^confluent_(api_key|role_binding|kafka_acl))/,
  ],
  [
    'stream.tf',
    /(^kafka_|_kinesis_|_msk_|_eventhub|_pubsub_|_dynamodb_|_storage_|^confluent_(environment|kafka_cluster|kafka_topic))/,
  ],
  ['compute.tf', /(_eks_|_ecs_|_ecr_|_kubernetes_cluster|_container_cluster|_container_node_pool|_appautoscaling_)/],
];

/** Order of the files in the emitted module. */
const FILE_ORDER = [
  'versions.tf',
  'variables.tf',
  'main.tf',
  'encryption.tf',
  'network.tf',
  'stream.tf',
  'identity.tf',
  'compute.tf',
  'monitoring.tf',
  'outputs.tf',
];

/** The file a block belongs to in {@link terraformFiles}' layout. */
export function terraformFileOf(b: HclBlock): string {
  if (b.type === 'terraform' || b.type === 'provider') return 'versions.tf';
  if (b.type === 'variable') return 'variables.tf';
  if (b.type === 'output') return 'outputs.tf';
  if (b.type !== 'resource') return 'main.tf';
  const type = b.labels[0] ?? '';
  return CONCERNS.find(([, re]) => re.test(type))?.[0] ?? 'main.tf';
}

/**
 * Splits a root module's blocks into the idiomatic files under `dir` (block order kept within a file), each with
 * the header.
 * @returns the files in a fixed order, paths like `terraform/versions.tf`.
 */
export function terraformFiles(
  blocks: readonly HclBlock[],
  header: readonly string[],
  dir = 'terraform',
): { path: string; content: string }[] {
  const byFile = new Map<string, HclBlock[]>();
  for (const b of blocks) {
    const f = terraformFileOf(b);
    byFile.set(f, [...(byFile.get(f) ?? []), b]);
  }
  return FILE_ORDER.filter((f) => byFile.has(f)).map((f) => ({
    path: `${dir}/${f}`,
    content: renderHcl(byFile.get(f) ?? [], header),
  }));
}
