/**
 * Test files that must run alone (see ./tier-lock.ts), read by the lock and by the sequencer in vitest.config.ts.
 * Paths are from the repository root.
 */
export const EXCLUSIVE: Readonly<Record<string, string>> = {
  'packages/testing/test/peers-smoke.int.spec.ts': 'kills the shared pubsub peer and brings it up again',
  'packages/bench/test/baselines.int.spec.ts': 'measures throughput on the shared peers against a rate floor',
  'packages/bench/test/bench.int.spec.ts': 'measures throughput on the shared peers',
};

/** True when the test file at this absolute (or root-relative) path is one of {@link EXCLUSIVE}. */
export function isExclusive(path: string): boolean {
  const p = path.replaceAll('\\', '/');
  return Object.keys(EXCLUSIVE).some((f) => p === f || p.endsWith(`/${f}`));
}
