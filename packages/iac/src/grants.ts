/**
 * Access as code in Terraform: one identity per principal of a workload's `access` block with least-privilege grants,
 * in each cloud's idiom: an IAM role with an inline policy (AWS), a user-assigned managed identity with a federated
 * credential and data-plane role assignments (Azure), a service account with Workload Identity and IAM members (GCP).
 * The emitters decide what each principal may do; these helpers write the identities the same way everywhere.
 *
 * @packageDocumentation
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: this file writes HCL whose ${...} are Terraform interpolations, not JS templates
import { azureNameSuffix } from './azure.js';
import type { CfnResource } from './cfn.js';
import { expr, type HclBlock, type HclValue, jsonencode, output, resource, tmpl } from './hcl.js';
import { type WorkloadIdentityCloud, workloadIdentityAnnotations } from './k8s.js';

/** A principal of a workload's access block: whether it produces and the consumer groups it reads in. */
export interface GrantPrincipal {
  /** The principal's name (lower-case letters, digits, "-"). */
  readonly principal: string;
  /** True when it writes to the topic. */
  readonly produces: boolean;
  /** Consumer groups it reads in (empty when it only produces). */
  readonly groups: readonly string[];
}

/** A Terraform resource name for a principal: `principal_<name>` with "-" as "_". */
export function principalResourceName(principal: string): string {
  return `principal_${principal.replace(/-/g, '_')}`;
}

/** What the principal may do, as a sentence for descriptions. */
export function grantSummary(p: GrantPrincipal, topic: string): string {
  const parts = [
    ...(p.produces ? [`write ${topic}`] : []),
    ...(p.groups.length > 0 ? [`read ${topic} in group${p.groups.length > 1 ? 's' : ''} ${p.groups.join(', ')}`] : []),
  ];
  return parts.join('; ');
}

/**
 * AWS: one IAM role per principal (`<workload>-<principal>`) with the given trust and an inline least-privilege policy,
 * and an output `principal_role_arns` (principal -> role ARN).
 */
export function awsPrincipalRoles(o: {
  workload: string;
  topic: string;
  principals: readonly GrantPrincipal[];
  /** Trust policy statements of a principal's role (IRSA or ECS tasks). */
  trust: (p: GrantPrincipal) => Record<string, HclValue>[];
  /** The policy statements of a principal. */
  statements: (p: GrantPrincipal) => Record<string, unknown>[];
}): HclBlock[] {
  if (o.principals.length === 0) return [];
  const blocks: HclBlock[] = [];
  for (const p of o.principals) {
    const id = principalResourceName(p.principal);
    blocks.push(
      resource('aws_iam_role', id, {
        name: `${o.workload}-${p.principal}`.slice(0, 64),
        description: `access principal ${p.principal}: ${grantSummary(p, o.topic)}`,
        assume_role_policy: jsonencode({ Version: '2012-10-17', Statement: o.trust(p) }) as never,
      }),
      resource('aws_iam_role_policy', id, {
        name: 'access-least-privilege',
        role: expr(`aws_iam_role.${id}.id`),
        policy: jsonencode({ Version: '2012-10-17', Statement: o.statements(p) } as never) as never,
      }),
    );
  }
  blocks.push(
    output('principal_role_arns', {
      value: Object.fromEntries(
        o.principals.map((p) => [p.principal, expr(`aws_iam_role.${principalResourceName(p.principal)}.arn`)]),
      ),
      description: 'IAM role of each principal of the access block (run its workloads with it).',
    }),
  );
  return blocks;
}

/** One Azure role assignment of a principal: a built-in role on a scope (a resource id expression). */
export interface AzureGrant {
  readonly role: string;
  readonly scope: string;
  /** Suffix of the assignment's resource name, e.g. `hub_send`. */
  readonly id: string;
}

/**
 * Azure: one user-assigned managed identity per principal, federated with the Kubernetes service account
 * `<namespace>:<principal>` (workload identity), with data-plane role assignments; output `principal_client_ids`.
 */
export function azurePrincipalIdentities(o: {
  principals: readonly GrantPrincipal[];
  /** Resource group expression, e.g. `azurerm_resource_group.this`. */
  resourceGroup: string;
  /** OIDC issuer expression of the AKS cluster. */
  issuer: string;
  namespace: string;
  grants: (p: GrantPrincipal) => AzureGrant[];
}): HclBlock[] {
  if (o.principals.length === 0) return [];
  const blocks: HclBlock[] = [];
  for (const p of o.principals) {
    const id = principalResourceName(p.principal);
    const identity = `azurerm_user_assigned_identity.${id}`;
    blocks.push(
      resource('azurerm_user_assigned_identity', id, {
        name: tmpl(`\${var.name}-${p.principal}`),
        location: expr(`${o.resourceGroup}.location`),
        resource_group_name: expr(`${o.resourceGroup}.name`),
        tags: expr('var.tags'),
      }),
      resource('azurerm_federated_identity_credential', id, {
        name: tmpl(`\${var.name}-${p.principal}`),
        resource_group_name: expr(`${o.resourceGroup}.name`),
        parent_id: expr(`${identity}.id`),
        audience: ['api://AzureADTokenExchange'],
        issuer: expr(o.issuer),
        subject: `system:serviceaccount:${o.namespace}:${p.principal}`,
      }),
    );
    for (const g of o.grants(p)) {
      blocks.push(
        resource('azurerm_role_assignment', `${id}_${g.id}`, {
          scope: expr(g.scope),
          role_definition_name: g.role,
          principal_id: expr(`${identity}.principal_id`),
        }),
      );
    }
  }
  blocks.push(
    output('principal_client_ids', {
      value: Object.fromEntries(
        o.principals.map((p) => [
          p.principal,
          expr(`azurerm_user_assigned_identity.${principalResourceName(p.principal)}.client_id`),
        ]),
      ),
      description: 'Managed identity (client id) of each principal of the access block (azure.workload.identity/client-id).',
    }),
  );
  return blocks;
}

/** One GCP IAM member of a principal: a role on a topic or a subscription. */
export interface GcpGrant {
  readonly kind: 'topic' | 'subscription';
  /** Topic or subscription id expression. */
  readonly on: string;
  readonly role: string;
  /** Suffix of the member's resource name, e.g. `publisher`. */
  readonly id: string;
}

/**
 * GCP: one service account per principal, bound to the Kubernetes service account `<namespace>/<principal>` through
 * Workload Identity, with IAM members on the topic and subscriptions; output `principal_service_accounts`.
 */
export function gcpPrincipalServiceAccounts(o: {
  workload: string;
  topic: string;
  principals: readonly GrantPrincipal[];
  namespace: string;
  grants: (p: GrantPrincipal) => GcpGrant[];
}): HclBlock[] {
  if (o.principals.length === 0) return [];
  const blocks: HclBlock[] = [];
  for (const p of o.principals) {
    const id = principalResourceName(p.principal);
    const sa = `google_service_account.${id}`;
    blocks.push(
      resource('google_service_account', id, {
        account_id: gcpAccountId(o.workload, p.principal),
        display_name: `speedlayer ${o.workload} ${p.principal}`,
        description: `access principal ${p.principal}: ${grantSummary(p, o.topic)}`,
      }),
      resource('google_service_account_iam_member', `${id}_workload_identity`, {
        service_account_id: expr(`${sa}.name`),
        role: 'roles/iam.workloadIdentityUser',
        member: tmpl(`serviceAccount:\${var.project_id}.svc.id.goog[${o.namespace}/${p.principal}]`),
      }),
    );
    for (const g of o.grants(p)) {
      blocks.push(
        resource(`google_pubsub_${g.kind}_iam_member`, `${id}_${g.id}`, {
          [g.kind]: expr(g.on),
          role: g.role,
          member: tmpl(`serviceAccount:\${${sa}.email}`),
        }),
      );
    }
  }
  blocks.push(
    output('principal_service_accounts', {
      value: Object.fromEntries(
        o.principals.map((p) => [p.principal, expr(`google_service_account.${principalResourceName(p.principal)}.email`)]),
      ),
      description: 'Service account of each principal of the access block (iam.gke.io/gcp-service-account).',
    }),
  );
  return blocks;
}

/** A service account id (6-30 characters, `[a-z][-a-z0-9]*[a-z0-9]`) for a principal, unique per workload. */
export function gcpAccountId(workload: string, principal: string): string {
  const full = `${workload}-${principal}`;
  if (full.length <= 30) return full.padEnd(6, '0');
  return `${full.slice(0, 23).replace(/-+$/, '')}-${azureNameSuffix(full)}`;
}

/** The CloudFormation logical id of a principal's role: `Principal<Name>Role` (`orders-api` -> `PrincipalOrdersApiRole`). */
export function principalLogicalId(principal: string): string {
  return `Principal${principal
    .split('-')
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('')}Role`;
}

/**
 * AWS CloudFormation: the roles of {@link awsPrincipalRoles}, one `AWS::IAM::Role` per principal with its trust and
 * inline least-privilege policy, and an output with each role's ARN.
 */
export function awsPrincipalRolesCfn(o: {
  workload: string;
  topic: string;
  principals: readonly GrantPrincipal[];
  trust: (p: GrantPrincipal) => unknown;
  statements: (p: GrantPrincipal) => Record<string, unknown>[];
  tags: readonly { Key: string; Value: string }[];
}): { resources: Record<string, CfnResource>; outputs: Record<string, unknown> } {
  const resources: Record<string, CfnResource> = {};
  const outputs: Record<string, unknown> = {};
  for (const p of o.principals) {
    const id = principalLogicalId(p.principal);
    resources[id] = {
      Type: 'AWS::IAM::Role',
      Properties: {
        // Named like the Terraform role, so policies can name its ARN without a reference cycle (KEDA's operator role).
        RoleName: `${o.workload}-${p.principal}`.slice(0, 64),
        Description: `access principal ${p.principal}: ${grantSummary(p, o.topic)}`,
        AssumeRolePolicyDocument: o.trust(p),
        Policies: [
          { PolicyName: 'access-least-privilege', PolicyDocument: { Version: '2012-10-17', Statement: o.statements(p) } },
        ],
        Tags: [...o.tags, { Key: 'speedlayer-principal', Value: p.principal }],
      },
    };
    outputs[`${id}Arn`] = { Value: { 'Fn::GetAtt': [id, 'Arn'] }, Description: `IAM role of access principal ${p.principal}` };
  }
  return { resources, outputs };
}

/**
 * The service accounts of the consumer groups that run as their access principal: group -> `{ name: principal,
 * annotations }`, with the cloud's workload identity annotation pointing at a deploy-time placeholder
 * `${<PRINCIPAL>_<suffix>}` (e.g. `${BILLING_ROLE_ARN}`, filled from the Terraform output of the principal identities).
 */
export function principalServiceAccounts(
  principals: readonly GrantPrincipal[],
  cloud: WorkloadIdentityCloud,
  suffix: string,
): Record<string, { name: string; annotations: Record<string, string> }> {
  const out: Record<string, { name: string; annotations: Record<string, string> }> = {};
  for (const p of principals) {
    const placeholder = principalPlaceholder(p.principal, suffix);
    for (const g of p.groups) out[g] = { name: p.principal, annotations: workloadIdentityAnnotations(cloud, placeholder) };
  }
  return out;
}

/** The deploy-time placeholder of a principal's identity: `${<PRINCIPAL>_<suffix>}` (`billing`, `ROLE_ARN` -> `${BILLING_ROLE_ARN}`). */
export function principalPlaceholder(principal: string, suffix: string): string {
  return `\${${principal.toUpperCase().replace(/-/g, '_')}_${suffix}}`;
}

/** The principal each named consumer group runs as: group -> principal. */
export function groupPrincipals(principals: readonly GrantPrincipal[]): Map<string, string> {
  return new Map(principals.flatMap((p) => p.groups.map((g) => [g, p.principal] as const)));
}
