/**
 * Small helpers shared by the raw baselines (no vendor types).
 *
 * @packageDocumentation
 */

/** True when `url` points at this machine (127.0.0.0/8, `localhost`, `[::1]`): a local peer, not a cloud service. */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url.includes('://') ? url : `http://${url}`).hostname;
  } catch {
    return false;
  }
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** One member of a {@link StaticSplit} group. */
export interface SplitMember {
  /** True when this member reads partition `index` now. */
  owns(index: number): boolean;
  /** Leaves the group (the others take its partitions over). */
  leave(): void;
}

/**
 * Static partition assignment for baselines without a group protocol: the live members of a group, in joining
 * order, take partitions round-robin (member m of n reads partition p when p % n === m). What a hand-written
 * consumer fleet with fixed assignments does; no rebalancing protocol, no checkpoints.
 */
export class StaticSplit {
  private readonly groups = new Map<string, number[]>();
  private next = 0;

  /** Joins `group` and returns the new member. */
  join(group: string): SplitMember {
    const id = this.next++;
    const members = this.groups.get(group) ?? [];
    members.push(id);
    this.groups.set(group, members);
    return {
      owns: (index) => {
        const live = this.groups.get(group) ?? [];
        const m = live.indexOf(id);
        return m >= 0 && index % live.length === m;
      },
      leave: () => {
        const live = this.groups.get(group) ?? [];
        const m = live.indexOf(id);
        if (m >= 0) live.splice(m, 1);
      },
    };
  }
}
