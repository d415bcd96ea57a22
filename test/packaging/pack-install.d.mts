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
/** Files a manifest's entry points name (`main`, `types`, each `exports` target), keyed by where they are named. */
export function entryPoints(pkg: Record<string, unknown>): Record<string, string>;
/** `npm pack --json` record of one package; throws when an entry point is missing from the tarball. */
export interface PackInfo {
  name: string;
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string; size: number }[];
}
export function pack(dir: string, destination: string, options?: { scripts?: boolean }): PackInfo;
/** `pack` of several workspace packages by name in one npm run; records by package name. */
export function packWorkspaces(
  names: string[],
  destination: string,
  options?: { scripts?: boolean; all?: ReturnType<typeof workspaces> },
): Record<string, PackInfo>;
export function packInstall(dir: string, names: string[], options?: { install?: boolean }): PackInstallResult;
