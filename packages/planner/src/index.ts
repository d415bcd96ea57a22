/**
 * `@speedlayer/planner`: turns a workload description into partitions, replicas, autoscaling bounds and a cost
 * estimate per target, and compares targets. Target-neutral: each adapter contributes a {@link PlannerTarget}
 * (limits with sources, sizing rule, prices, emitter) on its `./plan` subpath.
 *
 * @packageDocumentation
 */

export * from './access.js';
export * from './compare.js';
export * from './engine.js';
export * from './helpers.js';
export * from './kafka.js';
export * from './kafka-workload.js';
export * from './load.js';
export * from './observability.js';
export * from './registry.js';
export * from './render.js';
export * from './sourced.js';
export * from './target.js';
export * from './units.js';
export * from './workload.js';
