#!/usr/bin/env node
/**
 * The `speedlayer` command.
 *
 * @packageDocumentation
 */
import { CommanderError } from 'commander';
import { guardStdout, reportError } from './common.js';
import { startTelemetryFromEnv } from './otel.js';
import { buildProgram } from './program.js';

// The AWS SDK warns on every run under Node 20 that its later releases need Node 22; the CLI supports Node 20.19
// (package engines), so that one warning is switched off here, through the SDK's own switch. Other warnings stay.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
guardStdout();

const program = buildProgram();
// OpenTelemetry from the standard OTEL_* variables (nothing is loaded when none is set); flushed before exit
const otel = await startTelemetryFromEnv();
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // help and version exit 0; every usage error exits 2 after commander printed its one line
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else {
    reportError(e, 1);
    process.exitCode = 1;
  }
} finally {
  await otel?.shutdown();
}
