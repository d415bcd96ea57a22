#!/usr/bin/env node
/**
 * The `speedlayer` command.
 *
 * @packageDocumentation
 */
import { CommanderError } from 'commander';
import { reportError } from './common.js';
import { buildProgram } from './program.js';

const program = buildProgram();
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // help and version exit 0; every usage error exits 2 after commander printed its one line
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else {
    reportError(e);
    process.exitCode = 1;
  }
}
