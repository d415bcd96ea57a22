/**
 * Python tools in their own virtual environment inside the cache (PyPI packages, pinned).
 *
 * @packageDocumentation
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprint, type InstallUnit, run } from './common.js';

/** An install unit that creates `<dir>/venv` and pip-installs `requirements` into it. */
export function venvUnit(id: string, requirements: string[], executables: string[]): InstallUnit {
  return {
    id,
    fingerprint: () => fingerprint(['venv', ...requirements]),
    async install(dir, ctx) {
      const venv = join(dir, 'venv');
      await run('python3', ['-m', 'venv', venv], { logFile: ctx.logFile, timeoutMs: 5 * 60_000 });
      const pipEnv = { PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1', PYTHONDONTWRITEBYTECODE: undefined };
      await run(join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '--no-input', '--progress-bar', 'off', ...requirements], {
        logFile: ctx.logFile,
        env: pipEnv,
        timeoutMs: 40 * 60_000,
      });
      for (const exe of executables) {
        if (!existsSync(venvBin(dir, exe))) throw new Error(`pip finished but ${venvBin(dir, exe)} is missing`);
      }
    },
  };
}

/** Path of an executable inside a unit's venv. */
export function venvBin(dir: string, exe: string): string {
  return join(dir, 'venv', 'bin', exe);
}
