/**
 * `@speedlayer/testing/conformance`: the stream and compute conformance suites, run by vitest. This subpath
 * imports vitest (an optional peer dependency of `@speedlayer/testing`); the main entry and the `./peers`
 * launcher do not, so installing the CLI installs no test runner.
 *
 * @packageDocumentation
 */

export * from './compute-conformance.js';
export * from './conformance-matrix.js';
export * from './stream-conformance.js';
