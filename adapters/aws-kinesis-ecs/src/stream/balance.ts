/**
 * Lease balancing, as pure functions (unit-tested): which leases a member may work on, which have expired,
 * and what it should take or steal in one round. Modelled on the KCL's `DynamoDBLeaseTaker`: a lease whose
 * counter has not moved for the failover time has expired; each member aims at `ceil(leases / members)` and
 * steals at most one lease per round from the most loaded member.
 *
 * @packageDocumentation
 */
import { type Lease, Sentinel } from './leases.js';

/** When this member last saw each lease's counter change. */
export type Observations = Map<string, { counter: number; owner: string | undefined; since: number }>;

/** Updates `seen` from a fresh scan; returns it. */
export function observe(seen: Observations, leases: readonly Lease[], now: number): Observations {
  const keys = new Set<string>();
  for (const l of leases) {
    keys.add(l.leaseKey);
    const o = seen.get(l.leaseKey);
    if (!o || o.counter !== l.leaseCounter || o.owner !== l.leaseOwner) {
      seen.set(l.leaseKey, { counter: l.leaseCounter, owner: l.leaseOwner, since: now });
    }
  }
  for (const k of [...seen.keys()]) if (!keys.has(k)) seen.delete(k);
  return seen;
}

/**
 * True when a lease can be worked on: not finished, and every parent shard finished (its lease at SHARD_END, or
 * the parent is gone from the stream and has no lease). This is what keeps parents before children.
 */
export function eligible(lease: Lease, byKey: ReadonlyMap<string, Lease>, knownShards: ReadonlySet<string>): boolean {
  if (lease.checkpoint === Sentinel.shardEnd) return false;
  for (const p of lease.parentShardIds) {
    const parent = byKey.get(p);
    if (parent) {
      if (parent.checkpoint !== Sentinel.shardEnd) return false;
    } else if (knownShards.has(p)) {
      return false; // the parent exists but its lease is not written yet
    }
  }
  return true;
}

/** True when nobody owns the lease, or its counter has not changed for `failoverMs`. */
export function expired(lease: Lease, seen: Observations, now: number, failoverMs: number): boolean {
  if (lease.leaseOwner === undefined) return true;
  const o = seen.get(lease.leaseKey);
  return o !== undefined && now - o.since > failoverMs;
}

/** What to do in one round. */
export interface BalancePlan {
  /** Leases to take (unowned or expired), with the counter they were seen at. */
  take: Lease[];
  /** One live lease to ask its owner for. */
  steal: { lease: Lease; victim: string } | undefined;
  /** Leases a member should have. */
  target: number;
  /** Members seen alive (including this one). */
  members: number;
}

/** Plans one round for member `me`. */
export function planBalance(
  leases: readonly Lease[],
  me: string,
  seen: Observations,
  now: number,
  failoverMs: number,
  knownShards: ReadonlySet<string>,
): BalancePlan {
  const byKey = new Map(leases.map((l) => [l.leaseKey, l]));
  const work = leases.filter((l) => eligible(l, byKey, knownShards));
  const live = new Map<string, Lease[]>();
  live.set(me, []);
  for (const l of leases) {
    if (l.leaseOwner !== undefined && l.leaseOwner !== me && !expired(l, seen, now, failoverMs) && !live.has(l.leaseOwner)) {
      live.set(l.leaseOwner, []);
    }
  }
  for (const l of work) {
    if (l.leaseOwner === undefined) continue;
    if (l.leaseOwner === me || !expired(l, seen, now, failoverMs)) live.get(l.leaseOwner)?.push(l);
  }
  const members = live.size;
  const target = work.length === 0 ? 0 : Math.ceil(work.length / members);
  const mine = live.get(me)?.length ?? 0;
  const plan: BalancePlan = { take: [], steal: undefined, target, members };
  if (mine >= target) return plan;
  const free = work
    .filter((l) => l.leaseOwner !== me && expired(l, seen, now, failoverMs))
    .sort(
      (a, b) => Number(a.leaseOwner !== undefined) - Number(b.leaseOwner !== undefined) || a.leaseKey.localeCompare(b.leaseKey),
    );
  plan.take = free.slice(0, target - mine);
  if (plan.take.length > 0) return plan;
  let victim: string | undefined;
  let most = 0;
  for (const [owner, held] of live) {
    if (owner === me) continue;
    if (held.length > most || (held.length === most && victim !== undefined && owner < victim)) {
      victim = owner;
      most = held.length;
    }
  }
  if (victim === undefined || !(most > target || (most === target && mine < target - 1))) return plan;
  const candidate = live
    .get(victim)
    ?.filter((l) => l.checkpointOwner === undefined)
    .sort((a, b) => b.leaseKey.localeCompare(a.leaseKey))[0];
  if (candidate) plan.steal = { lease: candidate, victim };
  return plan;
}
