/**
 * The CLI's plan targets, read from the target descriptors (core's registry, `@speedlayer/planner`'s
 * `plannableTargets`): every target with a planner hook, in registry order. Nothing here lists targets; adding a
 * target is one adapter folder and one line in core's `TARGET_REGISTRY`.
 *
 * @packageDocumentation
 */
import { targetDescriptors } from '@speedlayer/core';
import { loadPlannerTarget, loadPlannerTargets, type PlannerTarget, plannableTargets, pricingTarget } from '@speedlayer/planner';

/** Loads one target's planning profile (the adapter's `./plan` subpath, without its vendor SDKs). */
export type PlanTargetLoader = () => Promise<{ plannerTarget: PlannerTarget }>;

const plannable = await plannableTargets();

/** Target id -> loader of its planning profile, from the descriptors. */
export const PLAN_TARGETS: Readonly<Record<string, PlanTargetLoader>> = Object.fromEntries(
  plannable.map((d) => [d.id, async () => ({ plannerTarget: await loadPlannerTarget(d) })]),
);

/** Every plannable target id, in registry order. */
export const PLAN_TARGET_IDS: readonly string[] = plannable.map((d) => d.id);

/**
 * Loads the named targets (`all` for every registered one).
 * @throws `ValidationError` (field `--target`) for an unknown id.
 */
export function loadPlanTargets(ids: readonly string[]): Promise<PlannerTarget[]> {
  return loadPlannerTargets(ids, '--target');
}

/** The planning profile that prices a runtime target (its own, or the one it is priced as); undefined for none. */
export function loadCostTarget(id: string): Promise<PlannerTarget | undefined> {
  return pricingTarget(id);
}

const deployable = (await targetDescriptors()).filter((d) => d.deploy !== undefined);

/** `deploy --target <id>`: target id -> its default compute URI, from the descriptors, in registry order. */
export const DEPLOY_COMPUTE: Readonly<Record<string, string>> = Object.fromEntries(
  deployable.map((d) => [d.id, d.deploy?.compute ?? '']),
);

/** The targets whose planned Kubernetes manifests `deploy <workload>` applies. */
export const KUBERNETES_DEPLOY_TARGETS: readonly string[] = deployable
  .filter((d) => d.deploy?.workload === 'kubernetes')
  .map((d) => d.id);

/** The targets whose planned ECS task definitions and services `deploy <workload>` registers. */
export const ECS_DEPLOY_TARGETS: readonly string[] = deployable.filter((d) => d.deploy?.workload === 'ecs').map((d) => d.id);
