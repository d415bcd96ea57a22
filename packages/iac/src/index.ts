/**
 * `@speedlayer/iac`: writers for Terraform HCL, CloudFormation YAML and Kubernetes YAML, the security baseline
 * shared by the emitters, and the shared Kubernetes worker manifests. Validation runners (cfn-lint, checkov,
 * tofu, HCL parsing, Kubernetes schemas, server-side dry run) are on `@speedlayer/iac/validate`.
 *
 * @packageDocumentation
 */

export * from './aws.js';
export * from './azure.js';
export * from './cfn.js';
export * from './gcp.js';
export * from './grants.js';
export * from './hcl.js';
export * from './header.js';
export * from './k8s.js';
export * from './kafka-workers.js';
export * from './security.js';
export * from './terraform.js';
export * from './yaml-writer.js';
