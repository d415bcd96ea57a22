/**
 * `@speedlayer/cli`: the `speedlayer` command. The program is exported for embedding and tests.
 *
 * @packageDocumentation
 */

export { type DemoOptions, type DemoResult, runDemo } from './commands/demo.js';
export { messageJson } from './commands/topic.js';
export { buildProgram } from './program.js';
