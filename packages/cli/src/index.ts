/**
 * `@speedlayer/cli`: the `speedlayer` command. The program is exported for embedding and tests.
 *
 * @packageDocumentation
 */

export { messageJson, terminalSafe } from './commands/consume.js';
export { type DemoOptions, type DemoResult, runDemo } from './commands/demo.js';
export { buildProgram } from './program.js';
