/**
 * The planner's view of the target registry: the targets with a planner hook ({@link TargetDescriptor.plan}), in
 * registry order, and their planning profiles, loaded from the descriptors' module references. The planner imports no
 * adapter: it reads core's descriptors (`targetDescriptors()`) and loads the `./plan` entry each one names, on use.
 *
 * @packageDocumentation
 */
import { type TargetDescriptor, targetDescriptors, ValidationError } from '@speedlayer/core';
import type { PlannerTarget } from './target.js';

/** The descriptors of every target the planner can plan (those with a planner hook), in registry order. */
export async function plannableTargets(): Promise<TargetDescriptor[]> {
  return (await targetDescriptors()).filter((d) => d.plan !== undefined);
}

/** Loads the planning profile a descriptor's hook names. @throws `ValidationError` when it is not one. */
export async function loadPlannerTarget(descriptor: TargetDescriptor): Promise<PlannerTarget> {
  const ref = descriptor.plan;
  if (!ref) throw new ValidationError(`target ${descriptor.id} has no planning profile`, { field: 'target' });
  const profile = ((await import(ref.module)) as Record<string, unknown>)[ref.export] as PlannerTarget | undefined;
  if (typeof profile?.plan !== 'function' || profile.id !== descriptor.id) {
    throw new ValidationError(
      `target ${descriptor.id}: ${ref.module} does not export a planning profile of that id as ${ref.export}`,
      { field: 'target' },
    );
  }
  return profile;
}

/**
 * Loads the named targets' planning profiles (`all` for every plannable one), in the order asked.
 * @param field - the input field named in errors, e.g. `--target`
 * @throws `ValidationError` naming `field` for an unknown id.
 */
export async function loadPlannerTargets(ids: readonly string[], field = 'targets'): Promise<PlannerTarget[]> {
  const known = await plannableTargets();
  const wanted = ids.includes('all') ? known.map((d) => d.id) : ids;
  const out: PlannerTarget[] = [];
  for (const id of wanted) {
    const d = known.find((k) => k.id === id);
    if (!d) {
      throw new ValidationError(`${field}: unknown target "${id}" (known: ${known.map((k) => k.id).join(', ')}, all)`, {
        field,
      });
    }
    out.push(await loadPlannerTarget(d));
  }
  return out;
}

/**
 * The planning profile that prices a target id: its own, or the one its descriptor is priced as (plain `kafka://` as
 * `aws-msk-eks`); undefined for a target without one (local, memory).
 */
export async function pricingTarget(id: string): Promise<PlannerTarget | undefined> {
  const all = await targetDescriptors();
  const d = all.find((x) => x.id === id);
  const priced = d?.plan ? d : d?.pricedAs ? all.find((x) => x.id === d.pricedAs && x.plan) : undefined;
  return priced ? loadPlannerTarget(priced) : undefined;
}
