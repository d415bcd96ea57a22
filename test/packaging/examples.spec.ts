/**
 * Every `@example` in the TSDoc of the packages' sources compiles: each fenced ts block is type-checked as an ES
 * module of a consumer (strict, NodeNext, `@speedlayer/*` imports resolved to the workspace sources through the
 * `source` export condition, as vitest does). An example is compiled as written; context it assumes is declared
 * in the example itself (`declare const client: StreamClient;`). As in doctests, the documented file's own exports
 * are in scope without an import (an example may import them, as users do, from the package). Blocks are checked in
 * memory; nothing is written.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface Example {
  /** Source file, relative to the repository root. */
  file: string;
  /** 1-based line of the `@example` tag. */
  line: number;
  /** The code of the fenced block, comment stars removed. */
  code: string;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The fenced ts blocks of every `@example` tag in a TypeScript source text. */
export function extractExamples(text: string, file: string): Example[] {
  const examples: Example[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*\*\s*@example\b/.test(lines[i] ?? '')) continue;
    const tagLine = i + 1;
    let j = i + 1;
    // up to the opening fence; the tag ends at the next tag or the end of the comment
    while (j < lines.length && !/^\s*\*\s*```/.test(lines[j] ?? '') && !/^\s*\*\s*@\w|\*\//.test(lines[j] ?? '')) j++;
    if (!/^\s*\*\s*```(ts|typescript)\s*$/.test(lines[j] ?? '')) continue;
    const code: string[] = [];
    for (j++; j < lines.length && !/^\s*\*\s*```/.test(lines[j] ?? ''); j++) code.push((lines[j] ?? '').replace(/^\s*\* ?/, ''));
    examples.push({ file, line: tagLine, code: code.join('\n') });
    i = j;
  }
  return examples;
}

function allExamples(): Example[] {
  const dirs = ['packages', 'adapters'].flatMap((g) =>
    readdirSync(join(root, g), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => join(root, g, d.name, 'src')),
  );
  return dirs
    .flatMap((d) => {
      try {
        return sourceFiles(d);
      } catch {
        return [];
      }
    })
    .flatMap((f) => extractExamples(readFileSync(f, 'utf8'), relative(root, f)));
}

/** Names a TypeScript file exports from its own statements (declarations and `export { ... }`). */
export function ownExports(text: string): string[] {
  const sf = ts.createSourceFile('x.ts', text, ts.ScriptTarget.ES2022, false);
  const names: string[] = [];
  for (const st of sf.statements) {
    const exported = ts.canHaveModifiers(st) && ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    if (ts.isExportDeclaration(st) && st.exportClause && ts.isNamedExports(st.exportClause) && !st.moduleSpecifier) {
      for (const el of st.exportClause.elements) names.push(el.name.text);
    } else if (exported && ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name)) names.push(d.name.text);
    } else if (
      exported &&
      (ts.isFunctionDeclaration(st) ||
        ts.isClassDeclaration(st) ||
        ts.isInterfaceDeclaration(st) ||
        ts.isTypeAliasDeclaration(st) ||
        ts.isEnumDeclaration(st)) &&
      st.name
    ) {
      names.push(st.name.text);
    }
  }
  return [...new Set(names)];
}

/** The implicit import of the documented file's exports that an example uses and does not import or declare. */
export function prelude(example: Example, exports: readonly string[], fromDir: string): string {
  const declared = new Set<string>();
  for (const m of example.code.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const n of (m[1] ?? '').split(','))
      declared.add(
        n
          .replace(/^\s*type\s+/, '')
          .split(/\s+as\s+/)
          .pop()
          ?.trim() ?? '',
      );
  }
  for (const m of example.code.matchAll(/\b(?:const|let|var|function|class|interface|type)\s+([A-Za-z_$][\w$]*)/g))
    declared.add(m[1] ?? '');
  const used = exports.filter(
    (n) => !declared.has(n) && new RegExp(`(^|[^\\w$.])${n.replace(/\$/g, '\\$')}\\b`).test(example.code),
  );
  if (used.length === 0) return '';
  let spec = relative(fromDir, join(root, example.file)).replace(/\.ts$/, '.js');
  if (!spec.startsWith('.')) spec = `./${spec}`;
  return `import { ${used.join(', ')} } from '${spec}';`;
}

/** Type-checks the examples in one program; returns the diagnostics per example. */
function compile(examples: Example[]): Map<Example, string[]> {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    customConditions: ['source'],
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
  };
  // virtual files inside the repository, so node_modules resolution finds the workspace packages
  const dir = join(root, 'test', 'packaging');
  const virtual = new Map(examples.map((e, i) => [join(dir, `__example_${i}.mts`), e] as const));
  const exportsOf = new Map<string, string[]>();
  const texts = new Map<string, string>();
  for (const e of examples) {
    if (exportsOf.has(e.file)) continue;
    let text = '';
    try {
      text = readFileSync(join(root, e.file), 'utf8');
    } catch {
      // a planted example without a file: nothing implicit
    }
    exportsOf.set(e.file, ownExports(text));
  }
  for (const [name, e] of virtual) texts.set(name, `${prelude(e, exportsOf.get(e.file) ?? [], dir)}\n${e.code}\nexport {};\n`);
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, onError, create) => {
    const text = texts.get(name);
    if (text !== undefined) return ts.createSourceFile(name, text, version, true);
    return getSourceFile(name, version, onError, create);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => virtual.has(name) || fileExists(name);
  const program = ts.createProgram([...virtual.keys()], options, host);
  const out = new Map<Example, string[]>();
  for (const [name, e] of virtual) {
    const sf = program.getSourceFile(name);
    const diags = sf ? [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)] : [];
    out.set(
      e,
      diags.map((d) => {
        // line 1 of the virtual file is the implicit import
        const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : 0;
        return `example line ${at}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      }),
    );
  }
  return out;
}

describe('TSDoc @example blocks', () => {
  it('extracts the fenced ts block of an @example tag, comment stars removed', () => {
    const text = [
      '/**',
      ' * Does it.',
      ' * @example',
      ' * ```ts',
      " * import { x } from 'y';",
      ' *   x(1);',
      ' * ```',
      ' * @throws never',
      ' */',
    ].join('\n');
    expect(extractExamples(text, 'f.ts')).toEqual([{ file: 'f.ts', line: 3, code: "import { x } from 'y';\n  x(1);" }]);
  });

  it('reports a type error in an example, naming the line', () => {
    const bad = { file: 'planted.ts', line: 1, code: "import { connect } from '@speedlayer/core';\nconst n: number = connect;" };
    const errors = compile([bad]).get(bad) ?? [];
    expect(errors.join('\n')).toMatch(/example line 2: Type .* is not assignable to type 'number'/);
  }, 300_000);

  it('every @example in packages/*/src and adapters/*/src compiles', () => {
    const examples = allExamples();
    expect(examples.length).toBeGreaterThan(20);
    const failures = [...compile(examples)]
      .filter(([, errors]) => errors.length > 0)
      .map(([e, errors]) => `${e.file}:${e.line}\n  ${errors.join('\n  ')}`);
    expect(failures).toEqual([]);
  }, 300_000);
});
