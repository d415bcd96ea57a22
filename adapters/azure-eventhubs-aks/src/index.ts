/**
 * `@speedlayer/azure-eventhubs-aks`: the Azure Event Hubs + AKS target. The Event Hubs stream adapter
 * (`eventhubs://` over AMQP, `eventhubs+kafka://` over the Kafka endpoint; also on the `./stream` subpath,
 * exporting `streamFactory` for the registry) and the planning profile (also on the `./plan` subpath).
 *
 * @packageDocumentation
 */
export * from './plan/index.js';
export * from './stream/index.js';
