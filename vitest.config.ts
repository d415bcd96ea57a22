/**
 * Test tiers by file name, as vitest projects:
 * - unit   `*.spec.ts`        pure logic, in-memory target; no servers
 * - local  `*.local.spec.ts`  the embedded local target and the CLI on it (real processes, real LMDB files)
 * - int    `*.int.spec.ts`    real local peers (Kafka, moto, pstest, Azurite, kube-apiserver, validators),
 *                              started by the peer launcher in globalSetup
 * - cloud  `*.e2e.spec.ts`    real clouds; only when SPEEDLAYER_CLOUD is set
 * Workspace packages resolve to their TypeScript sources through the "source" export condition.
 *
 * Scheduling: unit, local and int files share one pool of workers (at least two, also on a 2-core machine: most
 * local and int time is waiting on child processes, peers and idle timeouts). Local and int files run side by
 * side under a shared lock; the few int files listed in test/schedule/exclusive.ts run alone (test/schedule/
 * tier-lock.ts). The sequencer starts the longest exclusive file first with the unit files beside it, then the
 * other exclusive files, then the rest longest first across the tiers.
 */
import { rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { isExclusive } from './test/schedule/exclusive.js';

// no 'module': packages such as the AWS SDK v3 map it to builds (dist-es) that Node cannot load unbundled
const conditions = ['source', 'import', 'node', 'default'];
const ignore = ['**/node_modules/**', '**/dist/**'];
/** The lock of test/schedule/tier-lock.ts: one directory per vitest run. */
const tierLockDir = join(tmpdir(), `speedlayer-vitest-${process.pid}`);
process.once('exit', () => rmSync(tierLockDir, { recursive: true, force: true }));
const tierLock = 'test/schedule/tier-lock.ts';

/** See the scheduling note above; durations are vitest's cached results of the last run (file size when none). */
class TierSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const weight = (f: TestSpecification) => {
      const key = `${f.project.name}:${relative(this.ctx.config.root, f.moduleId)}`;
      return this.ctx.cache.getFileTestResults(key)?.duration ?? this.ctx.cache.getFileStats(key)?.size ?? 0;
    };
    const longestFirst = (list: TestSpecification[]) => [...list].sort((a, b) => weight(b) - weight(a));
    const exclusive = longestFirst(files.filter((f) => isExclusive(f.moduleId)));
    const unit = longestFirst(files.filter((f) => f.project.name === 'unit'));
    const rest = longestFirst(files.filter((f) => f.project.name !== 'unit' && !isExclusive(f.moduleId)));
    return [...exclusive.slice(0, 1), ...unit, ...exclusive.slice(1), ...rest];
  }
}

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['source'] } },
  test: {
    reporters: process.env.CI ? ['default'] : ['default'],
    // two to four: more int files at once than that only queue on the one broker / emulator of each peer
    maxWorkers: Math.min(4, Math.max(2, availableParallelism() - 1)),
    sequence: { sequencer: TierSequencer },
    env: { SPEEDLAYER_TIER_LOCK_DIR: tierLockDir },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'packages/*/test/**/*.spec.ts',
            'adapters/*/test/**/*.spec.ts',
            'examples/*/test/**/*.spec.ts',
            'test/**/*.spec.ts',
          ],
          exclude: [...ignore, '**/*.local.spec.ts', '**/*.int.spec.ts', '**/*.e2e.spec.ts'],
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'local',
          include: ['packages/*/test/**/*.local.spec.ts', 'adapters/*/test/**/*.local.spec.ts', 'test/**/*.local.spec.ts'],
          exclude: ignore,
          setupFiles: [tierLock],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'int',
          include: ['packages/*/test/**/*.int.spec.ts', 'adapters/*/test/**/*.int.spec.ts', 'test/**/*.int.spec.ts'],
          exclude: ignore,
          globalSetup: ['packages/testing/src/peers/global-setup.ts'],
          setupFiles: [tierLock],
          testTimeout: 180_000,
          hookTimeout: 1_800_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'cloud',
          include: process.env.SPEEDLAYER_CLOUD ? ['**/*.e2e.spec.ts'] : [],
          exclude: ignore,
          testTimeout: 600_000,
        },
      },
    ],
  },
});
