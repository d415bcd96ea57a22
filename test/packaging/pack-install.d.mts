/** Types of pack-install.mjs (a plain script, also run from the command line). */
export interface PackInstallResult {
  /** The `@speedlayer` packages packed: the named ones and those they need, sorted. */
  packages: string[];
  /** `npm pack --json` figures per package. */
  packed: Record<string, { file: string; size: number; unpackedSize: number; entries: number }>;
  /** Packages installed in the app's node_modules (with install). */
  installed: number;
  /** Size of the app's node_modules in MB (with install). */
  nodeModulesMB: number;
  /** The app directory (with install). */
  app: string;
}
export function workspaces(): Map<string, { dir: string; pkg: Record<string, unknown> }>;
export function closure(names: string[], all?: ReturnType<typeof workspaces>): string[];
export function countPackages(nodeModules: string): number;
export function packInstall(dir: string, names: string[], options?: { install?: boolean }): PackInstallResult;
