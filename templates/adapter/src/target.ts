/**
 * `@speedlayer/TEMPLATE/target`: the descriptor of the TEMPLATE target. Plain data; the code it names (the stream
 * factory on the package root, the planning profile on `./plan`) loads only when used. Keep this file free of vendor
 * SDK, planner and IaC imports (`test/packaging/manifests.spec.ts` checks it).
 *
 * TODO: replace `acme-stream` (target id), `Acme Stream + Kubernetes` (title), `@speedlayer/TEMPLATE` (package) and
 * `acme` (URI scheme) everywhere in this folder.
 *
 * @packageDocumentation
 */
import { defineTarget, type TargetDescriptor } from '@speedlayer/core';

/** The TEMPLATE target. */
export const templateDescriptor: TargetDescriptor = defineTarget({
  id: 'acme-stream',
  title: 'Acme Stream + Kubernetes',
  package: '@speedlayer/TEMPLATE',
  // the URI schemes `connect()` routes here; add computeSchemes and export computeFactory for a compute adapter
  streamSchemes: ['acme'],
  // the contract flags that do not depend on config; the driver builds its capabilities from them
  capabilities: { nativeHeaders: true, partitions: true, nativeDeadLetter: false, durable: true },
  // OpenTelemetry `messaging.system` on its spans and metrics (the semantic conventions' value if there is one)
  messagingSystem: 'acme',
  // how `speedlayer migrate` names its headers and record positions; `baselines` names a raw client for bench --overhead
  terms: { headers: 'Acme attributes', positions: 'Acme offsets' },
  // `<package>/plan` exports: the limits (each with its source URL), the price table and the PlannerTarget
  planExports: { limits: 'ACME_LIMITS', prices: 'ACME_PRICES' },
  conformance: {
    // one stream suite entry per way to reach the target; `peer` is the test peer whose status gives the URI
    stream: [{ scheme: 'acme', peer: 'acme', nativeClient: 'AcmeClient' }],
  },
});

/** The package's targets (read by core's registry). */
export const targets: readonly TargetDescriptor[] = [templateDescriptor];
