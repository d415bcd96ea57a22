import { parseTerraformFiles } from './hcl-parse.js';
import { parseK8sYaml } from './k8s-schema.js';

/** Terraform resource types that belong to a platform, not a workload: clusters, networks, namespaces, key rings. */
const PLATFORM_TYPES =
  /(_eks_cluster|_eks_node_group|_eks_addon|_ecs_cluster$|_msk_cluster$|_msk_serverless_cluster|_msk_configuration|_kubernetes_cluster|_container_cluster|_container_node_pool|_vpc$|_subnet$|_vpc_endpoint|_virtual_network|_private_endpoint|_private_dns|_dns_managed_zone|_dns_record_set|_resource_group$|_eventhub_namespace$|_eventhub_cluster|_key_vault$|_kms_key_ring|_audit_config|_route_table|_nat_gateway|_internet_gateway|_log_analytics_workspace|_openid_connect_provider|_disk_encryption_set)/;

/** Kubernetes kinds that are cluster- or namespace-wide. */
const PLATFORM_KINDS = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'ResourceQuota',
  'LimitRange',
]);

/**
 * What a `--scope workload` plan must not contain: cluster, network or namespace-wide resources (Terraform types,
 * Kubernetes kinds, NetworkPolicies that select every pod of the namespace) and any CloudFormation stack.
 * @returns one line per offending resource, empty when the files are workload-only.
 */
export async function platformResourcesIn(files: readonly { path: string; content: string }[]): Promise<string[]> {
  const found: string[] = [];
  const tf = (await parseTerraformFiles(files)) as { resource?: Record<string, Record<string, unknown>> };
  for (const [type, byName] of Object.entries(tf.resource ?? {})) {
    if (PLATFORM_TYPES.test(type)) for (const name of Object.keys(byName)) found.push(`terraform: ${type}.${name}`);
  }
  for (const f of files.filter((x) => x.path.startsWith('kubernetes/'))) {
    for (const o of parseK8sYaml(f.content)) {
      const meta = o.metadata as { name: string };
      const spec = o.spec as { podSelector?: { matchLabels?: object } } | undefined;
      const namespaceWide = o.kind === 'NetworkPolicy' && Object.keys(spec?.podSelector?.matchLabels ?? {}).length === 0;
      if (PLATFORM_KINDS.has(String(o.kind)) || namespaceWide) found.push(`${f.path}: ${String(o.kind)} ${meta.name}`);
    }
  }
  for (const f of files.filter((x) => x.path.startsWith('cloudformation/'))) found.push(`${f.path}: a whole stack`);
  return found;
}
