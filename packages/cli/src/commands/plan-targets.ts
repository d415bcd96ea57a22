/**
 * The planner's target registry: target id -> the adapter's `./plan` entry. The planner never imports an adapter;
 * this table is the one place that wires them in. Adding a target = one line here.
 *
 * @packageDocumentation
 */
import type { PlannerTarget } from '@speedlayer/planner';

/** Loads one target's planning profile (the adapter's `./plan` subpath, without its vendor SDKs). */
export type PlanTargetLoader = () => Promise<{ plannerTarget: PlannerTarget }>;

/** Target id -> loader of `@speedlayer/<id>/plan`. */
export const PLAN_TARGETS: Readonly<Record<string, PlanTargetLoader>> = {
  'aws-msk-eks': () => import('@speedlayer/aws-msk-eks/plan'),
  'aws-kinesis-ecs': () => import('@speedlayer/aws-kinesis-ecs/plan'),
  'azure-eventhubs-aks': () => import('@speedlayer/azure-eventhubs-aks/plan'),
  'gcp-pubsub-gke': () => import('@speedlayer/gcp-pubsub-gke/plan'),
  'azure-kafka-aks': () => import('@speedlayer/azure-kafka-aks/plan'),
  'azure-confluent-aks': async () => ({
    plannerTarget: (await import('@speedlayer/confluent-cloud/plan')).azureConfluentAksTarget,
  }),
  'gcp-confluent-gke': async () => ({ plannerTarget: (await import('@speedlayer/confluent-cloud/plan')).gcpConfluentGkeTarget }),
};

/** Every registered target id, in table order. */
export const PLAN_TARGET_IDS: readonly string[] = Object.keys(PLAN_TARGETS);

/**
 * Loads the named targets (`all` for every registered one).
 * @throws `ValidationError` (field `--target`) for an unknown id.
 */
export async function loadPlanTargets(ids: readonly string[]): Promise<PlannerTarget[]> {
  const { ValidationError } = await import('@speedlayer/core');
  const wanted = ids.includes('all') ? PLAN_TARGET_IDS : ids;
  const out: PlannerTarget[] = [];
  for (const id of wanted) {
    const load = PLAN_TARGETS[id];
    if (!load)
      throw new ValidationError(`--target: unknown target "${id}" (known: ${PLAN_TARGET_IDS.join(', ')}, all)`, {
        field: '--target',
      });
    out.push((await load()).plannerTarget);
  }
  return out;
}
