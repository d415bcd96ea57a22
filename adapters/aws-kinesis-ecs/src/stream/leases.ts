/**
 * Shard leases in a DynamoDB table, in the layout of the Kinesis Client Library (KCL): one item per shard, hash
 * key `leaseKey` = shard id, with `leaseOwner`, `leaseCounter`, `checkpoint` (a sequence number or the sentinels
 * `TRIM_HORIZON`, `LATEST`, `AT_TIMESTAMP`, `SHARD_END`), `checkpointSubSequenceNumber`,
 * `ownerSwitchesSinceCheckpoint`, `parentShardId` (string set) and `startingHashKey` / `endingHashKey`.
 * Graceful hand-over uses KCL 3's `checkpointOwner`: the new owner is written to `leaseOwner` while the old one
 * stays in `checkpointOwner` until it has drained and written its last checkpoint.
 * speedlayer adds `speedlayerTimestamp` (epoch ms) for `AT_TIMESTAMP` start positions.
 *
 * Every write is conditional (fencing): renewals and checkpoints only succeed for the owner at the counter it
 * last wrote; a checkpoint during hand-over only for the `checkpointOwner`.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import {
  type AttributeValue,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { ConflictError, NotFoundError, sleep, TimeoutError } from '@speedlayer/core';
import { awsErrorName, classifyAwsError, isConditionFailed, TARGET } from './errors.js';

/** KCL checkpoint sentinels. */
export const Sentinel = {
  trimHorizon: 'TRIM_HORIZON',
  latest: 'LATEST',
  atTimestamp: 'AT_TIMESTAMP',
  shardEnd: 'SHARD_END',
} as const;

/** One lease item. */
export interface Lease {
  leaseKey: string;
  leaseOwner: string | undefined;
  leaseCounter: number;
  checkpoint: string;
  checkpointSubSequenceNumber: number;
  ownerSwitchesSinceCheckpoint: number;
  parentShardIds: string[];
  checkpointOwner: string | undefined;
  timestamp: number | undefined;
}

function s(v: string): AttributeValue {
  return { S: v };
}
function n(v: number): AttributeValue {
  return { N: String(v) };
}

/** Reads a lease item. */
export function parseLease(item: Record<string, AttributeValue>): Lease {
  return {
    leaseKey: item.leaseKey?.S ?? '',
    leaseOwner: item.leaseOwner?.S,
    leaseCounter: Number(item.leaseCounter?.N ?? 0),
    checkpoint: item.checkpoint?.S ?? Sentinel.trimHorizon,
    checkpointSubSequenceNumber: Number(item.checkpointSubSequenceNumber?.N ?? 0),
    ownerSwitchesSinceCheckpoint: Number(item.ownerSwitchesSinceCheckpoint?.N ?? 0),
    parentShardIds: item.parentShardId?.SS ?? [],
    checkpointOwner: item.checkpointOwner?.S,
    timestamp: item.speedlayerTimestamp?.N !== undefined ? Number(item.speedlayerTimestamp.N) : undefined,
  };
}

/**
 * The lease table name of a group: `<prefix><stream>.<group>` with characters DynamoDB refuses replaced by `_`;
 * names over 255 characters are shortened and made unique with a hash.
 */
export function leaseTableName(prefix: string, stream: string, group: string): string {
  const raw = `${prefix}${stream}.${group}`.replace(/[^A-Za-z0-9_.-]/g, '_');
  const name = raw.length < 3 ? `${raw}___`.slice(0, 3) : raw;
  if (name.length <= 255) return name;
  const hash = createHash('sha256').update(`${prefix}${stream}.${group}`).digest('hex').slice(0, 16);
  return `${name.slice(0, 238)}-${hash}`;
}

/** Conditional lease writes on one table. */
export class LeaseTable {
  constructor(
    private readonly ddb: DynamoDBClient,
    readonly name: string,
  ) {}

  /**
   * Makes sure the table exists, creating it (PAY_PER_REQUEST, hash key `leaseKey`) when allowed.
   * @throws `NotFoundError` when it is missing and `create` is false; `AuthError` when creating is refused.
   */
  async ensure(create: boolean, timeoutMs: number): Promise<void> {
    try {
      const d = await this.ddb.send(new DescribeTableCommand({ TableName: this.name }));
      if (d.Table?.TableStatus === 'ACTIVE') return;
    } catch (e) {
      if (awsErrorName(e) !== 'ResourceNotFoundException') throw classifyAwsError(e, `DescribeTable ${this.name}`);
      if (!create) {
        throw new NotFoundError(
          `lease table "${this.name}" does not exist and createLeaseTable is false; create it (hash key leaseKey, type S) or allow creation`,
          { target: TARGET, field: 'createLeaseTable', cause: e },
        );
      }
      try {
        await this.ddb.send(
          new CreateTableCommand({
            TableName: this.name,
            AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
            KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
            BillingMode: 'PAY_PER_REQUEST',
          }),
        );
      } catch (c) {
        if (awsErrorName(c) !== 'ResourceInUseException') {
          const err = classifyAwsError(c, `CreateTable ${this.name} (the consumer group's lease table)`);
          err.message = `${err.message}. The lease table is missing and could not be created: grant dynamodb:CreateTable, or create it (hash key leaseKey, type S)`;
          throw err;
        }
      }
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const d = await this.ddb.send(new DescribeTableCommand({ TableName: this.name })).catch(() => undefined);
      if (d?.Table?.TableStatus === 'ACTIVE') return;
      if (Date.now() > deadline)
        throw new TimeoutError(`lease table "${this.name}" is not ACTIVE after ${timeoutMs} ms`, { target: TARGET });
      await sleep(200);
    }
  }

  /** Every lease (strongly consistent scan). */
  async list(): Promise<Lease[]> {
    const out: Lease[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      try {
        const res = await this.ddb.send(
          new ScanCommand({ TableName: this.name, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }),
        );
        for (const item of res.Items ?? []) out.push(parseLease(item));
        start = res.LastEvaluatedKey;
      } catch (e) {
        throw classifyAwsError(e, `Scan of lease table ${this.name}`);
      }
    } while (start);
    return out;
  }

  /** One lease, or undefined. */
  async get(leaseKey: string): Promise<Lease | undefined> {
    try {
      const res = await this.ddb.send(
        new GetItemCommand({ TableName: this.name, Key: { leaseKey: s(leaseKey) }, ConsistentRead: true }),
      );
      return res.Item ? parseLease(res.Item) : undefined;
    } catch (e) {
      throw classifyAwsError(e, `GetItem ${leaseKey} of lease table ${this.name}`);
    }
  }

  /** Creates a lease unless it exists. Returns true when this call created it. */
  async create(
    leaseKey: string,
    checkpoint: string,
    parents: string[],
    range: [string, string],
    timestamp?: number,
  ): Promise<boolean> {
    const item: Record<string, AttributeValue> = {
      leaseKey: s(leaseKey),
      leaseCounter: n(0),
      checkpoint: s(checkpoint),
      checkpointSubSequenceNumber: n(0),
      ownerSwitchesSinceCheckpoint: n(0),
      startingHashKey: s(range[0]),
      endingHashKey: s(range[1]),
    };
    if (parents.length > 0) item.parentShardId = { SS: parents };
    if (timestamp !== undefined) item.speedlayerTimestamp = n(timestamp);
    try {
      await this.ddb.send(
        new PutItemCommand({ TableName: this.name, Item: item, ConditionExpression: 'attribute_not_exists(leaseKey)' }),
      );
      return true;
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw classifyAwsError(e, `PutItem ${leaseKey} into lease table ${this.name}`);
    }
  }

  private async update(
    leaseKey: string,
    update: string,
    condition: string,
    values: Record<string, AttributeValue>,
    what: string,
  ): Promise<Lease | undefined> {
    try {
      const res = await this.ddb.send(
        new UpdateItemCommand({
          TableName: this.name,
          Key: { leaseKey: s(leaseKey) },
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return res.Attributes ? parseLease(res.Attributes) : undefined;
    } catch (e) {
      if (isConditionFailed(e)) return undefined;
      throw classifyAwsError(e, `${what} of lease ${leaseKey} in ${this.name}`);
    }
  }

  /** Renews a held lease (counter + 1). Returns the new item, or undefined when it is no longer ours. */
  renew(lease: string, owner: string, counter: number): Promise<Lease | undefined> {
    return this.update(
      lease,
      'SET leaseCounter = leaseCounter + :one',
      'leaseOwner = :me AND leaseCounter = :c',
      { ':one': n(1), ':me': s(owner), ':c': n(counter) },
      'renew',
    );
  }

  /** Takes an expired or unowned lease seen at `counter`. */
  take(lease: string, owner: string, counter: number): Promise<Lease | undefined> {
    return this.update(
      lease,
      'SET leaseOwner = :me, leaseCounter = leaseCounter + :one, ownerSwitchesSinceCheckpoint = ownerSwitchesSinceCheckpoint + :one REMOVE checkpointOwner',
      'leaseCounter = :c',
      { ':one': n(1), ':me': s(owner), ':c': n(counter) },
      'take',
    );
  }

  /** Asks `victim` to hand a live lease over: we become `leaseOwner`, it stays `checkpointOwner` until it has drained. */
  steal(lease: string, owner: string, victim: string, counter: number): Promise<Lease | undefined> {
    return this.update(
      lease,
      'SET leaseOwner = :me, checkpointOwner = :victim, leaseCounter = leaseCounter + :one, ownerSwitchesSinceCheckpoint = ownerSwitchesSinceCheckpoint + :one',
      'leaseCounter = :c AND leaseOwner = :victim AND attribute_not_exists(checkpointOwner)',
      { ':one': n(1), ':me': s(owner), ':victim': s(victim), ':c': n(counter) },
      'steal',
    );
  }

  /**
   * Writes a checkpoint: allowed for the owner at its counter, or for the old owner during a hand-over.
   * @throws `ConflictError` when the lease is no longer ours (fenced).
   */
  async checkpoint(lease: string, owner: string, counter: number, sequence: string): Promise<void> {
    const r = await this.update(
      lease,
      'SET checkpoint = :cp, checkpointSubSequenceNumber = :zero, ownerSwitchesSinceCheckpoint = :zero',
      '(leaseOwner = :me AND leaseCounter = :c) OR checkpointOwner = :me',
      { ':cp': s(sequence), ':zero': n(0), ':me': s(owner), ':c': n(counter) },
      'checkpoint',
    );
    if (!r) {
      throw new ConflictError(`checkpoint of ${lease} refused: the lease is no longer owned by ${owner} (fenced)`, {
        target: TARGET,
      });
    }
  }

  /** Ends a hand-over from our side: clears `checkpointOwner`. */
  async finishHandover(lease: string, owner: string): Promise<void> {
    await this.update(lease, 'REMOVE checkpointOwner', 'checkpointOwner = :me', { ':me': s(owner) }, 'hand-over');
  }

  /** Marks a shard finished (SHARD_END) and releases it. Returns false when the lease was not ours. */
  async shardEnd(lease: string, owner: string, counter: number): Promise<boolean> {
    const r = await this.update(
      lease,
      'SET checkpoint = :end, checkpointSubSequenceNumber = :zero, leaseCounter = leaseCounter + :one REMOVE leaseOwner',
      'leaseOwner = :me AND leaseCounter = :c',
      { ':end': s(Sentinel.shardEnd), ':zero': n(0), ':one': n(1), ':me': s(owner), ':c': n(counter) },
      'shard end',
    );
    return r !== undefined;
  }

  /** Releases a lease we hold (leaseOwner removed) so another member can take it at once. */
  async release(lease: string, owner: string, counter: number): Promise<boolean> {
    const r = await this.update(
      lease,
      'SET leaseCounter = leaseCounter + :one REMOVE leaseOwner',
      'leaseOwner = :me AND leaseCounter = :c',
      { ':one': n(1), ':me': s(owner), ':c': n(counter) },
      'release',
    );
    return r !== undefined;
  }
}
