/**
 * Shard listing and stream status, shared by the admin, the producer and the consumer.
 *
 * @packageDocumentation
 */
import { DescribeStreamSummaryCommand, type KinesisClient, ListShardsCommand, type Shard } from '@aws-sdk/client-kinesis';
import { NotFoundError, sleep, TimeoutError } from '@speedlayer/core';
import { classifyAwsError, TARGET } from './errors.js';
import { type ShardRange, shardIndex } from './hash.js';

/** One shard as the adapter sees it. */
export interface ShardInfo extends ShardRange {
  /** Contract partition index (see {@link shardIndex}). */
  partition: number;
  /** Parent shard ids (one after a split, two after a merge, none for an original shard). */
  parents: string[];
  /** First sequence number. */
  startingSequenceNumber: string;
  /** Last sequence number once the shard is closed (split or merged away); undefined while open. */
  endingSequenceNumber: string | undefined;
}

function toInfo(s: Shard): ShardInfo {
  const parents = [s.ParentShardId, s.AdjacentParentShardId].filter((p): p is string => typeof p === 'string' && p !== '');
  return {
    shardId: s.ShardId ?? '',
    partition: shardIndex(s.ShardId ?? ''),
    startingHashKey: BigInt(s.HashKeyRange?.StartingHashKey ?? '0'),
    endingHashKey: BigInt(s.HashKeyRange?.EndingHashKey ?? '0'),
    parents,
    startingSequenceNumber: s.SequenceNumberRange?.StartingSequenceNumber ?? '0',
    endingSequenceNumber: s.SequenceNumberRange?.EndingSequenceNumber,
  };
}

/**
 * Every shard of a stream still within retention, sorted by partition index.
 * @throws `NotFoundError` when the stream does not exist.
 */
export async function listShards(kinesis: KinesisClient, stream: string): Promise<ShardInfo[]> {
  const out: ShardInfo[] = [];
  let token: string | undefined;
  do {
    try {
      const res = await kinesis.send(
        new ListShardsCommand(token ? { NextToken: token } : { StreamName: stream, MaxResults: 1000 }),
      );
      for (const s of res.Shards ?? []) out.push(toInfo(s));
      token = res.NextToken;
    } catch (e) {
      const err = classifyAwsError(e, `ListShards on stream "${stream}"`);
      if (err.kind === 'not-found') throw new NotFoundError(`stream "${stream}" does not exist`, { cause: e, target: TARGET });
      throw err;
    }
  } while (token);
  return out.sort((a, b) => a.partition - b.partition || a.shardId.localeCompare(b.shardId));
}

/** The open shards (no ending sequence number). */
export function openShards(shards: readonly ShardInfo[]): ShardInfo[] {
  return shards.filter((s) => s.endingSequenceNumber === undefined);
}

/** Stream status and summary numbers. */
export interface StreamSummary {
  status: string;
  arn: string | undefined;
  retentionHours: number | undefined;
  mode: string | undefined;
  openShardCount: number | undefined;
}

/**
 * DescribeStreamSummary.
 * @throws `NotFoundError` when the stream does not exist.
 */
export async function streamSummary(kinesis: KinesisClient, stream: string): Promise<StreamSummary> {
  try {
    const res = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
    const d = res.StreamDescriptionSummary;
    return {
      status: d?.StreamStatus ?? 'UNKNOWN',
      arn: d?.StreamARN,
      retentionHours: d?.RetentionPeriodHours,
      mode: d?.StreamModeDetails?.StreamMode,
      openShardCount: d?.OpenShardCount,
    };
  } catch (e) {
    const err = classifyAwsError(e, `DescribeStreamSummary of stream "${stream}"`);
    if (err.kind === 'not-found') throw new NotFoundError(`stream "${stream}" does not exist`, { cause: e, target: TARGET });
    throw err;
  }
}

/**
 * Waits until a stream is ACTIVE (CREATING and UPDATING are waited out).
 * @throws `NotFoundError` when it does not exist (or is DELETING); `TimeoutError` (retriable) when it stays busy.
 */
export async function waitForActive(
  kinesis: KinesisClient,
  stream: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<StreamSummary> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 2000)) {
    const s = await streamSummary(kinesis, stream);
    if (s.status === 'ACTIVE') return s;
    if (s.status === 'DELETING') throw new NotFoundError(`stream "${stream}" is being deleted`, { target: TARGET });
    if (Date.now() + delay > deadline || signal?.aborted) {
      throw new TimeoutError(`stream "${stream}" is still ${s.status} after ${timeoutMs} ms; try again later`, {
        target: TARGET,
      });
    }
    await sleep(delay, signal);
  }
}
