import { parse } from '@cdktn/hcl2json';

/**
 * Parses HCL text with the hcl2json WASM parser (the HCL library Terraform uses, compiled to WASM).
 * @throws Error with the parser's message when the text is not valid HCL.
 */
export async function parseHcl(fileName: string, text: string): Promise<Record<string, unknown>> {
  return (await parse(fileName, text)) as Record<string, unknown>;
}

function mergeInto(into: Record<string, unknown>, from: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(from)) {
    const cur = into[k];
    if (Array.isArray(cur) && Array.isArray(v)) into[k] = [...cur, ...v];
    else if (cur && v && typeof cur === 'object' && typeof v === 'object') {
      mergeInto(cur as Record<string, unknown>, v as Record<string, unknown>);
    } else into[k] = v;
  }
}

/**
 * Parses every `.tf` file of a module (e.g. an emitter's `terraform/*.tf`) and merges them into one document, as
 * Terraform reads a directory: `resource.<type>.<name>` from whichever file holds it.
 * @throws Error with the parser's message when a file is not valid HCL.
 */
export async function parseTerraformFiles(
  files: readonly { path: string; content: string }[],
  dir = 'terraform/',
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const f of files.filter((x) => x.path.startsWith(dir) && x.path.endsWith('.tf'))) {
    mergeInto(out, await parseHcl(f.path, f.content));
  }
  return out;
}
