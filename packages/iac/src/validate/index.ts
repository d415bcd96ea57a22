/**
 * Validation runners for emitted IaC, used by tests and by `speedlayer plan --validate`-style checks:
 * HCL parsing (hcl2json, WASM), Kubernetes schema validation (kubernetes-models; Strimzi CRD `openAPIV3Schema`s with
 * ajv), and the field's real tools run as processes (cfn-lint, checkov, `tofu fmt -check`) plus a kube-apiserver
 * server-side dry run.
 * None of these is a mock: each runs the real parser, schema or tool.
 *
 * @packageDocumentation
 */

export * from './crd-schema.js';
export * from './golden.js';
export * from './hcl-parse.js';
export * from './k8s-schema.js';
export * from './kube-dry-run.js';
export * from './policy.js';
export * from './scope.js';
export * from './tools.js';
