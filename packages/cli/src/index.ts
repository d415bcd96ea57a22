/**
 * `@speedlayer/cli`: the `speedlayer` command. The program is exported for embedding and tests.
 *
 * @packageDocumentation
 */
export { buildProgram } from './program.js';
export { runDemo, type DemoOptions, type DemoResult } from './commands/demo.js';
export { messageJson } from './commands/topic.js';
