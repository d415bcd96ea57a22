/**
 * The plan step: translate a topic from one target's model to another's, check limits, and list what
 * cannot be carried over. Pure functions over topic descriptions and capabilities, plus
 * {@link planMigration} which reads them from two connected clients.
 *
 * @packageDocumentation
 */
import {
  describedTarget,
  findTarget,
  isSpeedlayerError,
  type StreamCapabilities,
  type StreamClient,
  type TopicInfo,
} from '@speedlayer/core';

/** Header written on every copied message with its source partition and position (`<partition>:<position>`). */
export const PROVENANCE_HEADER = 'speedlayer-migrate-source';

/** Severity of a plan note. */
export type NoteLevel = 'info' | 'warning' | 'error';

/** One line of the plan: what is translated how, or what cannot be carried over. */
export interface PlanNote {
  /** `error` blocks the copy; `warning` is carried on; `info` explains a translation. */
  level: NoteLevel;
  /** Area: partitions, keys, headers, size, retention, positions, groups, ordering, topic. */
  area: string;
  /** The note itself, one sentence. */
  message: string;
}

/** Input of {@link translateTopic}. */
export interface TranslateInput {
  /** The source topic as described by the source. */
  source: TopicInfo;
  /** Source capabilities. */
  sourceCapabilities: StreamCapabilities;
  /** Source target id. */
  sourceTarget: string;
  /** Target capabilities. */
  targetCapabilities: StreamCapabilities;
  /** Target target id. */
  targetTarget: string;
  /** Target topic name. */
  targetTopic: string;
  /** The target topic when it exists already. */
  existingTarget?: TopicInfo;
  /** Partitions asked for explicitly (overrides the plan's choice). */
  partitions?: number;
  /** Whether the provenance header is written. @default true */
  provenance?: boolean;
}

/** The translated topic and what the copy will do. */
export interface MigrationPlan {
  /** Source topic. */
  sourceTopic: string;
  /** Source target id. */
  sourceTarget: string;
  /** Source partitions (`null`: the source has none). */
  sourcePartitions: number | null;
  /** Target topic. */
  targetTopic: string;
  /** Target target id. */
  targetTarget: string;
  /** Partitions (shards) the target topic needs; `null` when the target has none (Pub/Sub). */
  targetPartitions: number | null;
  /** Whether the target topic exists already. */
  targetExists: boolean;
  /** Retention to create the target topic with, in hours (the source's, when it reports one). */
  retentionHours?: number;
  /** How keys travel: `partition-key` (Kafka key, Kinesis partition key, Event Hubs key) or `ordering-key` (Pub/Sub). */
  keyMapping: 'partition-key' | 'ordering-key';
  /** How headers travel: `native` (headers/properties/attributes) or `adapter-envelope` (no native headers). */
  headerMapping: 'native' | 'adapter-envelope';
  /** Whether messages without a key keep their source partition index (explicit partition on send). */
  keylessKeepPartition: boolean;
  /** Largest record the target accepts (key + value + headers), bytes. */
  targetMaxMessageBytes: number;
  /** Whether the provenance header is written. */
  provenance: boolean;
  /** Translations, warnings, and errors (an error blocks the copy). */
  notes: PlanNote[];
  /** Things that cannot be carried over as such. */
  notCarried: string[];
}

/** True when the plan has an `error` note. */
export function planBlocked(plan: MigrationPlan): boolean {
  return plan.notes.some((n) => n.level === 'error');
}

/**
 * Translates a source topic into the target's model.
 *
 * Partition rule: the target gets as many partitions as the source has (1 when the source has none), so the
 * target's own key hashing sends every key to exactly one target partition (same key -> same target
 * partition -> per-key order kept), and messages without a key can keep their partition index.
 */
export function translateTopic(input: TranslateInput): MigrationPlan {
  const { source, sourceCapabilities: sc, targetCapabilities: tc } = input;
  const notes: PlanNote[] = [];
  const notCarried: string[] = [];
  const provenance = input.provenance ?? true;
  const wanted = input.partitions ?? source.partitions ?? 1;
  let targetPartitions: number | null = tc.partitions ? wanted : null;
  const existing = input.existingTarget;
  if (existing && tc.partitions && existing.partitions !== null) {
    if (existing.partitions < wanted) {
      notes.push(
        tc.partitionGrowth
          ? {
              level: 'warning',
              area: 'partitions',
              message: `target topic ${existing.name} has ${existing.partitions} partitions; the copy grows it to ${wanted}`,
            }
          : {
              level: 'error',
              area: 'partitions',
              message: `target topic ${existing.name} exists with ${existing.partitions} partitions; the plan needs ${wanted} and the target cannot grow partitions (use --partitions ${existing.partitions} to accept fewer)`,
            },
      );
    } else if (existing.partitions > wanted) {
      notes.push({
        level: 'warning',
        area: 'partitions',
        message: `target topic ${existing.name} has ${existing.partitions} partitions, more than the ${wanted} planned: keys still stay in one partition each, but keyless messages are spread by the target`,
      });
      targetPartitions = existing.partitions;
    }
  }
  if (tc.partitions) {
    notes.push({
      level: 'info',
      area: 'partitions',
      message:
        source.partitions === null
          ? `source has no partitions; target gets ${targetPartitions} partition(s): each ordering key becomes a partition key, hashed by the target`
          : `${source.partitions} source partition(s) -> ${targetPartitions} target partition(s)/shard(s); every key is hashed by the target into one partition, so per-key order is kept`,
    });
  } else {
    notes.push({
      level: 'info',
      area: 'partitions',
      message: `target has no partitions: each key becomes an ordering key (per-key order kept); ${
        source.partitions ?? 1
      } source partition(s) collapse into one topic; consumers scale on backlog`,
    });
    if (source.partitions !== null)
      notCarried.push('partition numbers (the target has no partitions; keys become ordering keys)');
  }
  const keylessKeepPartition = tc.partitions && source.partitions !== null && targetPartitions === source.partitions;
  notes.push({
    level: 'info',
    area: 'keys',
    message: keylessKeepPartition
      ? 'messages without a key are written to the same partition index they had on the source'
      : 'messages without a key are spread by the target (no order among keyless messages across partitions)',
  });
  const headerMapping = tc.nativeHeaders ? 'native' : 'adapter-envelope';
  notes.push({
    level: sc.nativeHeaders && !tc.nativeHeaders ? 'warning' : 'info',
    area: 'headers',
    message: tc.nativeHeaders
      ? `headers are carried natively (${describeHeaders(input.targetTarget)})`
      : `target ${input.targetTarget} has no native headers: they travel only in the adapter's envelope encoding; with it off they are lost and verify falls back to value digests`,
  });
  if (tc.maxHeaders !== undefined) {
    notes.push({
      level: 'info',
      area: 'headers',
      message: `target accepts at most ${tc.maxHeaders} headers per message${provenance ? ' (one is used by the provenance header)' : ''}; a message over it stops the run or is dead-lettered`,
    });
  }
  if (tc.maxMessageBytes < sc.maxMessageBytes) {
    notes.push({
      level: 'warning',
      area: 'size',
      message: `target accepts records up to ${tc.maxMessageBytes} bytes, the source up to ${sc.maxMessageBytes}: larger messages are reported with their source position and stop the run or are dead-lettered (--on-oversize)`,
    });
  } else {
    notes.push({
      level: 'info',
      area: 'size',
      message: `target accepts records up to ${tc.maxMessageBytes} bytes (source: ${sc.maxMessageBytes})`,
    });
  }
  if (
    existing?.retentionHours !== undefined &&
    source.retentionHours !== undefined &&
    existing.retentionHours < source.retentionHours
  ) {
    notes.push({
      level: 'warning',
      area: 'retention',
      message: `target topic keeps ${existing.retentionHours} h, the source ${source.retentionHours} h: old messages may expire on the target before consumers read them`,
    });
  } else if (source.retentionHours !== undefined) {
    notes.push({
      level: 'info',
      area: 'retention',
      message: `target topic is created with the source's retention, ${source.retentionHours} h`,
    });
  }
  if (!tc.partitions) {
    notes.push({
      level: 'info',
      area: 'ordering',
      message: 'ordering keys are set from message keys; publishers and subscribers must use one region for ordering to hold',
    });
  }
  notCarried.push(
    `source positions (${positionName(input.sourceTarget)}): the target assigns its own; each is recorded in the position map${
      provenance ? ` and in the ${PROVENANCE_HEADER} header` : ''
    }`,
  );
  notCarried.push(
    'message timestamps as the source broker set them, where the target stamps its own (the event timestamp is sent)',
  );
  notCarried.push('consumer group checkpoints: moved separately with --move-group, through the position map');
  notCarried.push('topic ACLs, quotas and vendor-specific configuration');
  if (!tc.nativeHeaders) notCarried.push('headers, unless the target adapter envelope is enabled');
  if (tc.producePositions === false)
    notCarried.push(
      'target positions: the target does not say where a written message landed, so the position map has none and a consumer group cannot be moved (--move-group) to it',
    );
  if (sc.historyForNewGroups === false) {
    notes.push({
      level: 'warning',
      area: 'history',
      message:
        "the source gives a new group only what is published after the group exists (a Pub/Sub subscription without Seek): the copy reads through the migration's group, so messages published before it was first registered are not copied; register it early: start the migration with a fixed --group and --until follow before the traffic to be moved",
    });
    notCarried.push('messages published before the migration group was registered on the source (no history for new groups)');
  }
  if (sc.idempotentProduce && !tc.idempotentProduce)
    notes.push({
      level: 'info',
      area: 'delivery',
      message: 'target producer does not de-duplicate retries: a retried send can leave a duplicate',
    });
  const plan: MigrationPlan = {
    sourceTopic: source.name,
    sourceTarget: input.sourceTarget,
    sourcePartitions: source.partitions,
    targetTopic: input.targetTopic,
    targetTarget: input.targetTarget,
    targetPartitions,
    targetExists: existing !== undefined,
    keyMapping: tc.partitions ? 'partition-key' : 'ordering-key',
    headerMapping,
    keylessKeepPartition,
    targetMaxMessageBytes: tc.maxMessageBytes,
    provenance,
    notes,
    notCarried,
  };
  if (source.retentionHours !== undefined) plan.retentionHours = source.retentionHours;
  return plan;
}

// The words are the targets' descriptors' `terms` (read by connect() or planMigration in this process).
function describeHeaders(target: string): string {
  return `as ${describedTarget(target)?.terms?.headers ?? 'headers'}`;
}

function positionName(target: string): string {
  return describedTarget(target)?.terms?.positions ?? 'offsets';
}

/** Options of {@link planMigration}. */
export interface PlanOptions {
  /** Source topic. */
  topic: string;
  /** Target topic. @default topic */
  toTopic?: string;
  /** Partitions to give the target topic. @default the source's count */
  partitions?: number;
  /** Write the provenance header. @default true */
  provenance?: boolean;
}

/**
 * Reads the source topic and the target topic (if any) and translates.
 * @throws `NotFoundError` when the source topic does not exist.
 */
export async function planMigration(from: StreamClient, to: StreamClient, options: PlanOptions): Promise<MigrationPlan> {
  const source = await from.admin.describeTopic(options.topic);
  const targetTopic = options.toTopic ?? options.topic;
  // the notes name headers and positions in each target's words, from its descriptor
  await Promise.all([findTarget(from.target), findTarget(to.target)]).catch(() => undefined);
  let existing: TopicInfo | undefined;
  try {
    existing = await to.admin.describeTopic(targetTopic);
  } catch (e) {
    if (!(isSpeedlayerError(e) && e.kind === 'not-found')) throw e;
  }
  return translateTopic({
    source,
    sourceCapabilities: from.capabilities,
    sourceTarget: from.target,
    targetCapabilities: to.capabilities,
    targetTarget: to.target,
    targetTopic,
    ...(existing ? { existingTarget: existing } : {}),
    ...(options.partitions !== undefined ? { partitions: options.partitions } : {}),
    ...(options.provenance !== undefined ? { provenance: options.provenance } : {}),
  });
}

/** Creates or grows the target topic as planned. */
export async function applyPlan(to: StreamClient, plan: MigrationPlan): Promise<TopicInfo> {
  const opts = {
    ...(plan.targetPartitions !== null ? { partitions: plan.targetPartitions } : {}),
    ...(plan.retentionHours !== undefined ? { retentionHours: plan.retentionHours } : {}),
  };
  let info = await to.admin.ensureTopic(plan.targetTopic, opts);
  if (
    plan.targetPartitions !== null &&
    info.partitions !== null &&
    info.partitions < plan.targetPartitions &&
    to.capabilities.partitionGrowth
  ) {
    info = await to.admin.growPartitions(plan.targetTopic, plan.targetPartitions);
  }
  return info;
}
