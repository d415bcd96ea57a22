/** Types of typedoc.plugin.mjs (for the tests that check the docs configuration). */
import type { Application } from 'typedoc';
/** Module name TypeDoc derives from an entry file (path without extension, `/index` dropped) -> import specifier. */
export function moduleNames(root?: string): Map<string, string>;
export function load(app: Application): void;
