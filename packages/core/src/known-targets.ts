/**
 * The descriptors this process has read, by target id: the built-in ones core's registry has loaded and those
 * registered in-process. The registry fills it; synchronous readers (telemetry's `messaging.system`) look targets up
 * here. Internal: the package exports {@link describedTarget} through the registry.
 *
 * @packageDocumentation
 */
import type { TargetDescriptor } from './descriptor.js';

/** Descriptors registered by `registerTarget`, by id (they take precedence over the built-in ones). */
export const registeredTargets = new Map<string, TargetDescriptor>();
/** Descriptors read from the registry's `./target` modules, by id. */
export const builtInTargets = new Map<string, TargetDescriptor>();

/**
 * The descriptor of a target id this process has read already, or undefined: every target connected or created
 * through `connect()`/`createCompute()`, every one after `targetDescriptors()` or `findTarget()`, and those registered
 * with `registerTarget()`. Synchronous, for paths that cannot wait; `findTarget()` loads.
 */
export function describedTarget(id: string): TargetDescriptor | undefined {
  return registeredTargets.get(id) ?? builtInTargets.get(id);
}
