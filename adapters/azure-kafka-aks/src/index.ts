/**
 * `@speedlayer/azure-kafka-aks`: Apache Kafka on AKS, run by the Strimzi operator. The runtime is the Kafka driver
 * (`kafka://<bootstrap>:9093?tls=true&caFile=…&sasl=scram-sha-512&username=…&password=env:…`); this package holds the
 * planning profile on `./plan`.
 *
 * @packageDocumentation
 */

import { kafkaAksDescriptor } from './target.js';

/** Target id (the descriptor's). */
export const TARGET_ID = kafkaAksDescriptor.id;
