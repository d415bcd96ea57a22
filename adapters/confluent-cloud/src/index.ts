/**
 * `@speedlayer/confluent-cloud`: Confluent Cloud with its workers on AKS or GKE. The runtime is the Kafka driver over
 * SASL_SSL PLAIN with API keys (`kafka://<bootstrap>:9092?tls=true&sasl=plain&username=<key>&password=file:…`); this
 * package holds the planning profiles on `./plan`.
 *
 * @packageDocumentation
 */

import { targets } from './target.js';

/** Target ids (the descriptors'). */
export const TARGET_IDS: readonly string[] = targets.map((d) => d.id);
