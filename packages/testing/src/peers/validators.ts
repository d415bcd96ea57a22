/**
 * Offline IaC validators: cfn-lint and checkov (PyPI, one venv in the cache), Prometheus `promtool` (alert rules)
 * and OpenTofu built from its Go module (`go install` is refused because its go.mod has replace directives, so it is built inside the
 * downloaded module directory). They are executables, not servers: "up" means installed and answering
 * `--version`.
 *
 * Offline use: never `cfn-lint --update-specs`; run checkov with `--skip-download` and
 * `CKV_SKIP_PACKAGE_UPDATE_CHECK=true`; `tofu fmt -check` works offline, `tofu validate` needs providers.
 *
 * @packageDocumentation
 */

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type PeerRecord, run, tools } from './common.js';
import { upstreamModuleUnit } from './gobuild.js';
import type { PeerDefinition, StartContext } from './peer.js';
import { venvBin, venvUnit } from './python.js';
import type { ValidatorsStatus } from './types.js';

/** Pinned cfn-lint version. */
export const CFN_LINT_VERSION = '1.58.0';
/** Pinned checkov version. */
export const CHECKOV_VERSION = '3.3.30';
/** Pinned OpenTofu version (its go.mod needs Go 1.24+). */
export const TOFU_VERSION = 'v1.10.10';
/** Pinned conftest version (OPA/Rego policy engine run by `speedlayer plan --check`). */
export const CONFTEST_VERSION = 'v0.71.1';

const pyUnit = venvUnit(
  `validators-py-cfnlint${CFN_LINT_VERSION}-checkov${CHECKOV_VERSION}`,
  [`cfn-lint==${CFN_LINT_VERSION}`, `checkov==${CHECKOV_VERSION}`],
  ['cfn-lint', 'checkov'],
);
const tofuUnit = upstreamModuleUnit(
  `opentofu-${TOFU_VERSION}`,
  'github.com/opentofu/opentofu',
  TOFU_VERSION,
  './cmd/tofu',
  'tofu',
  [
    // A release build, not `-dev`.
    '-X github.com/opentofu/opentofu/version.dev=no',
  ],
);

const conftestUnit = upstreamModuleUnit(
  `conftest-${CONFTEST_VERSION}`,
  'github.com/open-policy-agent/conftest',
  CONFTEST_VERSION,
  'github.com/open-policy-agent/conftest',
  'conftest',
  [`-X github.com/open-policy-agent/conftest/internal/version.Version=${CONFTEST_VERSION.slice(1)}`],
);

/**
 * Pinned Prometheus release for `promtool` (`check rules`, `test rules` on the emitted alert rules). Prometheus 3.x
 * tags its Go module v0.3MM.P for release 3.MM.P: v0.316.0 is Prometheus 3.16.0.
 */
export const PROMETHEUS_VERSION = 'v0.316.0';
/** The Prometheus release that {@link PROMETHEUS_VERSION} tags. */
export const PROMTOOL_RELEASE = '3.16.0';

const promtoolUnit = upstreamModuleUnit(
  `promtool-${PROMETHEUS_VERSION}`,
  'github.com/prometheus/prometheus',
  PROMETHEUS_VERSION,
  './cmd/promtool',
  'promtool',
  [`-X github.com/prometheus/common/version.Version=${PROMTOOL_RELEASE}`],
  // promtool checks rules and configs offline: no service-discovery plugins (cloud SDKs) in the build
  ['remove_all_sd'],
);

/** Environment that keeps the validators offline. */
export const VALIDATOR_ENV: Record<string, string> = {
  CKV_SKIP_PACKAGE_UPDATE_CHECK: 'true',
  BC_SKIP_MAPPING: 'TRUE',
  TF_IN_AUTOMATION: '1',
  CHECKPOINT_DISABLE: '1',
};

async function start(ctx: StartContext): Promise<{ status: ValidatorsStatus }> {
  const [py, tofu, conftest, promtool] = ctx.installDirs as [string, string, string, string];
  // An empty CLI config of our own: no provider installation settings or credentials from the user's.
  const tofurc = join(ctx.runDir, 'tofurc');
  await writeFile(tofurc, '');
  return {
    status: {
      cfnLint: venvBin(py, 'cfn-lint'),
      checkov: venvBin(py, 'checkov'),
      tofu: join(tofu, 'bin', 'tofu'),
      conftest: join(conftest, 'bin', 'conftest'),
      promtool: join(promtool, 'bin', 'promtool'),
      env: { ...VALIDATOR_ENV, TF_CLI_CONFIG_FILE: tofurc },
    },
  };
}

async function probe(record: PeerRecord): Promise<void> {
  const s = record.status as ValidatorsStatus;
  const opts = { logFile: undefined, env: s.env, timeoutMs: 60_000 };
  const [cfn, ckv, tf, opa, prom] = await Promise.all([
    run(s.cfnLint, ['--version'], opts),
    run(s.checkov, ['--version'], opts),
    run(s.tofu, ['version'], opts),
    run(s.conftest, ['--version'], opts),
    run(s.promtool, ['--version'], opts),
  ]);
  if (!cfn.includes(CFN_LINT_VERSION)) throw new Error(`cfn-lint --version printed ${cfn.trim()}`);
  if (!ckv.includes(CHECKOV_VERSION)) throw new Error(`checkov --version printed ${ckv.trim()}`);
  if (!tf.includes(`OpenTofu ${TOFU_VERSION}\n`)) throw new Error(`tofu version printed ${tf.trim()}`);
  if (!opa.includes(`Conftest: ${CONFTEST_VERSION.slice(1)}`)) throw new Error(`conftest --version printed ${opa.trim()}`);
  if (!prom.includes(`promtool, version ${PROMTOOL_RELEASE} `)) throw new Error(`promtool --version printed ${prom.trim()}`);
}

/** The validators peer. */
export const validatorsPeer: PeerDefinition = {
  name: 'validators',
  version: `cfn-lint ${CFN_LINT_VERSION}, checkov ${CHECKOV_VERSION}, tofu ${TOFU_VERSION}, conftest ${CONFTEST_VERSION}, promtool ${PROMTOOL_RELEASE}`,
  requirements: [tools.python, tools.go],
  units: [pyUnit, tofuUnit, conftestUnit, promtoolUnit],
  ports: [],
  data: { kept: true, note: 'executables only; no data' },
  startTimeoutMs: 120_000,
  start,
  probe,
};
