/**
 * Test tiers by file name, as vitest projects:
 * - unit   `*.spec.ts`        pure logic, in-memory target; no servers
 * - local  `*.local.spec.ts`  the embedded local target and the CLI on it (real processes, real LMDB files)
 * - int    `*.int.spec.ts`    real local peers (Kafka, moto, pstest, Azurite, kube-apiserver, validators),
 *                              started by the peer launcher in globalSetup
 * - cloud  `*.e2e.spec.ts`    real clouds; only when SPEEDLAYER_CLOUD is set
 * Workspace packages resolve to their TypeScript sources through the "source" export condition.
 */
import { defineConfig } from 'vitest/config';

// no 'module': packages such as the AWS SDK v3 map it to builds (dist-es) that Node cannot load unbundled
const conditions = ['source', 'import', 'node', 'default'];
const ignore = ['**/node_modules/**', '**/dist/**'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['source'] } },
  test: {
    reporters: process.env.CI ? ['default'] : ['default'],
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
          testTimeout: 180_000,
          hookTimeout: 1_800_000,
          fileParallelism: false,
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
