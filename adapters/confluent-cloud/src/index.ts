/**
 * `@speedlayer/confluent-cloud`: Confluent Cloud with its workers on AKS or GKE. The runtime is the Kafka driver over
 * SASL_SSL PLAIN with API keys (`kafka://<bootstrap>:9092?tls=true&sasl=plain&username=<key>&password=file:…`); this
 * package holds the planning profiles on `./plan`.
 *
 * @packageDocumentation
 */

/** Target ids. */
export const TARGET_IDS = ['azure-confluent-aks', 'gcp-confluent-gke'] as const;
