/**
 * Consumer lag on Kinesis: the group's checkpoints in its KCL lease table against each shard's end. Kinesis has
 * no offsets to subtract, so the records after a checkpoint are counted with GetRecords (up to a bound), and the
 * age of the oldest is its ApproximateArrivalTimestamp.
 *
 * @packageDocumentation
 */

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import type { PartitionLag } from '@speedlayer/core';
import { classifyAwsError } from './errors.js';
import { type Lease, LeaseTable, Sentinel } from './leases.js';
import { listShards } from './shards.js';

const SEQUENCE = /^\d+$/;

/** Options of {@link kinesisLag}. */
export interface KinesisLagOptions {
  /** Records counted per shard at most (the lag reported is then a lower bound). @default 100000 */
  maxCount?: number;
}

/**
 * Lag of the group whose lease table is `table` on `stream`, per shard (partition index as the adapter maps it).
 * A shard without a lease counts from TRIM_HORIZON (where a new group starts by default).
 */
export async function kinesisLag(
  kinesis: KinesisClient,
  dynamodb: DynamoDBClient,
  stream: string,
  table: string,
  options: KinesisLagOptions = {},
): Promise<PartitionLag[]> {
  const max = options.maxCount ?? 100_000;
  const shards = await listShards(kinesis, stream);
  const leases = new Map<string, Lease>();
  try {
    for (const l of await new LeaseTable(dynamodb, table).list()) leases.set(l.leaseKey, l);
  } catch (e) {
    if ((e as { kind?: string }).kind !== 'not-found') throw e; // no table yet: the group never started
  }
  const now = Date.now();
  const out: PartitionLag[] = [];
  for (const shard of shards) {
    const lease = leases.get(shard.shardId);
    const checkpoint = lease?.checkpoint;
    if (checkpoint === Sentinel.shardEnd || checkpoint === Sentinel.latest) {
      out.push({ partition: shard.partition, lag: 0, committedPosition: checkpoint, ageSeconds: 0 });
      continue;
    }
    const after = checkpoint !== undefined && SEQUENCE.test(checkpoint) ? checkpoint : undefined;
    let iterator: string | undefined;
    try {
      const res = await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: stream,
          ShardId: shard.shardId,
          ...(after
            ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: after }
            : { ShardIteratorType: 'TRIM_HORIZON' }),
        }),
      );
      iterator = res.ShardIterator;
    } catch (e) {
      throw classifyAwsError(e, `GetShardIterator of ${shard.shardId}`);
    }
    let count = 0;
    let oldest: _Record | undefined;
    let last: string | undefined;
    while (iterator && count < max) {
      let res: GetRecordsCommandOutput;
      try {
        res = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      } catch (e) {
        throw classifyAwsError(e, `GetRecords of ${shard.shardId}`);
      }
      const records = res.Records ?? [];
      oldest ??= records[0];
      count += records.length;
      last = records[records.length - 1]?.SequenceNumber ?? last;
      iterator = res.NextShardIterator;
      if (records.length === 0 && (res.MillisBehindLatest ?? 0) === 0) break;
    }
    const arrived = oldest?.ApproximateArrivalTimestamp?.getTime();
    out.push({
      partition: shard.partition,
      lag: count,
      ...(last ? { endPosition: last } : {}),
      committedPosition: after ?? null,
      ageSeconds: arrived === undefined ? 0 : Math.max(0, (now - arrived) / 1000),
    });
  }
  return out;
}
