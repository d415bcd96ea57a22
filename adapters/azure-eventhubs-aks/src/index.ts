/**
 * `@speedlayer/azure-eventhubs-aks`. Today only the planning profile exists (also on the `./plan` subpath); the Event
 * Hubs stream adapter and AKS compute wiring will be added here.
 *
 * @packageDocumentation
 */
export * from './plan/index.js';
