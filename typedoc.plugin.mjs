/**
 * TypeDoc plugin of this repository (loaded by typedoc.json):
 * - resolves every `@speedlayer/*` import specifier to its source file, from the workspace `exports` maps;
 * - names each module by the import specifier users write (`@speedlayer/core/di`), read from the `exports` of the
 *   workspace package.json files, instead of its path (`packages/core/src/di`);
 * - summarizes zod: the `z` namespace core re-exports gets one line pointing to zod's docs instead of zod's whole
 *   API, and a value typed by a zod schema shows the schema's kind (`ZodObject`) without expanding its shape (the
 *   inferred config type next to it documents the fields).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Comment, Converter, ReferenceType, ReflectionKind } from 'typedoc';

const ROOT = import.meta.dirname;

/** Module name TypeDoc derives from an entry file (path without extension, `/index` dropped) -> import specifier. */
export function moduleNames(root = ROOT) {
  const names = new Map();
  for (const group of ['packages', 'adapters']) {
    for (const dir of readdirSync(join(root, group), { withFileTypes: true })) {
      if (!dir.isDirectory()) continue;
      let pkg;
      try {
        pkg = JSON.parse(readFileSync(join(root, group, dir.name, 'package.json'), 'utf8'));
      } catch {
        continue;
      }
      for (const [key, entry] of Object.entries(pkg.exports ?? {})) {
        const source = typeof entry === 'object' && entry !== null ? entry.source : undefined;
        if (typeof source !== 'string') continue;
        const file = relative(root, join(root, group, dir.name, source))
          .replace(/\.ts$/, '')
          .replace(/\/index$/, '');
        names.set(file, pkg.name + key.slice(1));
      }
    }
  }
  return names;
}

const ZOD_DOCS = 'https://zod.dev/api';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const project = context.project;
    const names = moduleNames();
    const modules = project.getReflectionsByKind(ReflectionKind.Module);
    for (const m of modules) {
      const name = names.get(m.name);
      if (name) m.name = name;
    }
    // zod's `z`, re-exported by core: one summary line, not zod's API
    for (const ns of project.getReflectionsByKind(ReflectionKind.Namespace)) {
      if (ns.name !== 'z' || ns.parent?.name !== '@speedlayer/core') continue;
      for (const child of [...(ns.children ?? [])]) project.removeReflection(child);
      ns.comment = new Comment([
        { kind: 'text', text: "zod's `z` (zod ^4), re-exported so adapters build their config schemas with core's zod. API: " },
        { kind: 'text', text: ZOD_DOCS },
      ]);
    }
    // a value typed by a zod schema: the schema's kind, not its expanded shape
    for (const r of Object.values(project.reflections)) {
      const type = r.type;
      if (type instanceof ReferenceType && type.package === 'zod' && type.typeArguments?.length) {
        type.typeArguments = undefined;
      }
    }
  });
}
