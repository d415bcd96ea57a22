/**
 * Google Cloud Pub/Sub and GKE facts, each with the URL it was read from (vendor-facts.md §3, §5c).
 *
 * @packageDocumentation
 */
import { fact, MB } from '@speedlayer/planner';

const QUOTAS = 'https://cloud.google.com/pubsub/quotas';
const ORDERING = 'https://cloud.google.com/pubsub/docs/ordering';
const SUBPROPS = 'https://cloud.google.com/pubsub/docs/subscription-properties';

/** Pub/Sub limits used by the sizing rule. */
export const PUBSUB_LIMITS = {
  noPartitions: fact(
    true,
    'no partitions to manage; an ordering key is not a partition',
    'https://cloud.google.com/pubsub/docs/choose-pubsub-kafka',
  ),
  maxMessageBytes: fact(10 * MB, 'bytes per message (10 MB)', `${QUOTAS}#resource_limits`),
  maxAttributes: fact(100, 'attributes per message', `${QUOTAS}#resource_limits`),
  publishRequestBytes: fact(10 * MB, 'bytes per Publish request (1,000 messages)', QUOTAS, 'official (copy)'),
  publishQuotaLargeRegions: fact(
    200 * MB,
    'bytes/s publish per region in europe-west1, us-central1, us-east1 (default quota)',
    QUOTAS,
  ),
  publishQuotaOtherRegions: fact(50 * MB, 'bytes/s publish per region elsewhere (default quota)', QUOTAS),
  orderingKeyThroughput: fact(1 * MB, 'bytes/s per ordering key', ORDERING),
  ackDeadlineMin: fact(10, 'seconds', 'https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.subscriptions'),
  ackDeadlineMax: fact(600, 'seconds', 'https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.subscriptions'),
  subscriptionRetentionMinMinutes: fact(10, 'minutes', SUBPROPS),
  subscriptionRetentionMaxHours: fact(31 * 24, 'hours (31 days)', SUBPROPS),
  topicRetentionMaxHours: fact(31 * 24, 'hours (31 days)', SUBPROPS, 'secondary'),
  minBilledBytesPerRequest: fact(
    1000,
    'bytes billed at least per publish/pull request',
    'https://cloud.google.com/pubsub/pricing',
  ),
  freeGibPerMonth: fact(10, 'GiB of throughput free per month', 'https://cloud.google.com/pubsub/pricing'),
  maxOutstandingMessages: fact(
    1000,
    'messages outstanding per subscriber (flow control planning figure, Dapr default)',
    'https://docs.dapr.io/reference/components-reference/supported-pubsub/setup-gcp-pubsub/',
    'secondary',
  ),
} as const;

/** Regions with the large default publish quota. */
export const LARGE_REGIONS = ['europe-west1', 'us-central1', 'us-east1'] as const;
