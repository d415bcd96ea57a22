/**
 * Config of the `pubsub://` stream target: the URI (`pubsub://<project>[?emulatorHost=host:port]`) and the
 * adapter settings passed as `connect(uri, { config })`, resolved through one zod schema.
 *
 * @packageDocumentation
 */
import { ConfigError, type ParsedUri, resolveConfig, z } from '@speedlayer/core';

/** Target id of this adapter. */
export const PUBSUB_TARGET = 'gcp-pubsub-gke';

/** Pub/Sub's ack deadline bounds in seconds (subscription `ackDeadlineSeconds`, ModifyAckDeadline). */
export const ACK_DEADLINE_MIN_SECONDS = 10;
/** Upper bound of an ack deadline in seconds. */
export const ACK_DEADLINE_MAX_SECONDS = 600;

/** Config fields of the Pub/Sub stream adapter. */
export const pubsubConfigSchema = z
  .object({
    /**
     * Ack deadline of subscriptions this adapter creates, in seconds (Pub/Sub accepts 10..600). The client
     * extends the deadline of every message while its handler runs, so this is only the redelivery delay of
     * messages held by a member that died. @default 10
     */
    ackDeadlineSeconds: z.number().int().min(ACK_DEADLINE_MIN_SECONDS).max(ACK_DEADLINE_MAX_SECONDS).default(10),
    /** Longest time a message's deadline is extended while its handler runs, in seconds. @default 3600 */
    maxExtensionSeconds: z
      .number()
      .int()
      .min(ACK_DEADLINE_MIN_SECONDS)
      .max(7 * 24 * 3600)
      .default(3600),
    /** Topic message retention set by `ensureTopic` when none is given, in hours (10 min..31 days). @default 168 */
    topicRetentionHours: z
      .number()
      .positive()
      .max(31 * 24)
      .default(168),
    /**
     * Replay through Seek: `startFrom: 'earliest'` seeks a new subscription back over the topic's retention and
     * `startFrom: { timestamp }` seeks it to that time. Off by default against an emulator, because pstest's
     * Seek to a past time crashes the server (it re-adds messages without their payload). @default true on
     * Google Cloud, false with an emulator
     */
    seek: z.boolean().optional(),
    /**
     * Also set Pub/Sub's native dead-letter policy on subscriptions this adapter creates, with this many delivery
     * attempts (5..100): a backstop for messages whose handler crashes the process before the engine's own
     * retries finish. The engine's `maxAttempts` + dead-letter publish stays the contract. @default off
     */
    nativeDeadLetterAttempts: z.number().int().min(5).max(100).optional(),
    /**
     * How often a member checks that its subscription and topic still exist, in seconds; a deleted one is reported
     * as a `NotFoundError` through `onError` (an emulator may keep a dead stream open silently). @default 30
     */
    subscriptionCheckSeconds: z.number().min(0.1).max(3600).default(30),
    /**
     * Deadline of every unary call (admin, publish, ack), retries included, in ms: an unreachable endpoint fails
     * with a typed error after this long instead of the client library's 60-600 s. Streaming pull keeps its own
     * long-lived deadline. @default 20000
     */
    requestTimeoutMs: z.number().int().min(100).max(600_000).default(20_000),
    /**
     * Most messages one `lag()` reading counts (it pulls a copy of the group's backlog made from a snapshot; see
     * `lag.ts`); a larger backlog is reported as a lower bound with `truncated: true`. @default 100000
     */
    lagScanMaxMessages: z.number().int().min(1).max(10_000_000).default(100_000),
    /** Longest time one `lag()` reading pulls, in ms; a longer scan is reported with `truncated: true`. @default 30000 */
    lagScanTimeoutMs: z.number().int().min(500).max(600_000).default(30_000),
    /**
     * How long a `lag()` reading is reused, in ms, so frequent readers (the worker's `/metrics`, OTLP export) do not
     * snapshot the subscription each time; concurrent readers always share one scan. 0 = no reuse. @default 30000
     */
    lagCacheMs: z.number().int().min(0).max(3_600_000).default(30_000),
    /** Publisher batching delay in ms. @default 5 */
    publishDelayMs: z.number().int().min(0).max(1000).default(5),
    /** Delay of the batched acks in ms (each ordering key waits for its ack). @default 2 */
    ackDelayMs: z.number().int().min(0).max(1000).default(2),
  })
  .strict();

/** Resolved adapter config. */
export type PubsubConfig = z.output<typeof pubsubConfigSchema>;

/** Where and how to connect, from the URI and the environment. */
export interface PubsubEndpoint {
  /** Google Cloud project id. */
  projectId: string;
  /** `host:port` of an emulator (pstest), when one is used. */
  emulatorHost?: string;
  /** `?seek=true|false` from the URI (overrides config `seek`; lets a worker given only a URI turn Seek on). */
  seek?: boolean;
}

/** Project ids: lower-case letters, digits and hyphens (domain-scoped ids add `example.com:`). */
const PROJECT_RE = /^[a-z][a-z0-9.:-]{0,99}[a-z0-9]$/;
const HOST_RE = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

/**
 * Reads `pubsub://<project>[?emulatorHost=host:port][&seek=true|false]`. The emulator comes from `?emulatorHost=` or else from
 * `PUBSUB_EMULATOR_HOST`; without either the client uses Application Default Credentials.
 * @throws `ConfigError` (field `uri`) for a missing project, unknown parameters or a bad emulator host.
 */
export function parsePubsubUri(uri: ParsedUri, env: NodeJS.ProcessEnv = process.env): PubsubEndpoint {
  if (uri.scheme !== 'pubsub') {
    throw new ConfigError(`uri: the ${PUBSUB_TARGET} adapter serves pubsub://, not ${uri.scheme}://`, {
      field: 'uri',
      target: PUBSUB_TARGET,
    });
  }
  const projectId = uri.location.replace(/\/+$/, '');
  if (!PROJECT_RE.test(projectId)) {
    throw new ConfigError(`uri: "${projectId}" is not a Google Cloud project id; expected pubsub://<project>`, {
      field: 'uri',
      target: PUBSUB_TARGET,
    });
  }
  for (const key of uri.params.keys()) {
    if (key !== 'emulatorHost' && key !== 'seek') {
      throw new ConfigError(`uri: unknown parameter "${key}"; pubsub:// accepts emulatorHost and seek`, {
        field: 'uri',
        target: PUBSUB_TARGET,
      });
    }
  }
  const seekParam = uri.params.get('seek');
  if (seekParam !== null && seekParam !== 'true' && seekParam !== 'false') {
    throw new ConfigError(`uri: seek must be true or false, got "${seekParam}"`, { field: 'uri', target: PUBSUB_TARGET });
  }
  const seek = seekParam === null ? {} : { seek: seekParam === 'true' };
  const emulatorHost = uri.params.get('emulatorHost') ?? env.PUBSUB_EMULATOR_HOST;
  if (emulatorHost !== undefined && emulatorHost !== '') {
    const host = emulatorHost.replace(/^https?:\/\//, '');
    const port = Number(host.slice(host.lastIndexOf(':') + 1));
    if (!HOST_RE.test(host) || port < 1 || port > 65_535) {
      throw new ConfigError(`uri: emulatorHost "${emulatorHost}" is not host:port (port 1-65535)`, {
        field: 'uri',
        target: PUBSUB_TARGET,
      });
    }
    return { projectId, emulatorHost: host, ...seek };
  }
  return { projectId, ...seek };
}

/**
 * Resolves the adapter config (defaults, then validation).
 * @throws `ConfigError` naming the field, e.g. `ackDeadlineSeconds` outside 10..600.
 */
export function resolvePubsubConfig(input: unknown): PubsubConfig {
  return resolveConfig(pubsubConfigSchema, input ?? {}, { target: PUBSUB_TARGET });
}
