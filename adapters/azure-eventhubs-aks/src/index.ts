/**
 * `@speedlayer/azure-eventhubs-aks`: the Azure Event Hubs + AKS target. The Event Hubs stream adapter
 * (`eventhubs://` over AMQP, `eventhubs+kafka://` over the Kafka endpoint; also on the `./stream` subpath,
 * exporting `streamFactory` for the registry). This entry is the runtime
 * only; the planning profile (limits, sizing, prices, IaC emitter) is on the `./plan` subpath, which needs the
 * optional peer dependencies `@speedlayer/planner` and `@speedlayer/iac`.
 *
 * @packageDocumentation
 */
export * from './stream/index.js';
