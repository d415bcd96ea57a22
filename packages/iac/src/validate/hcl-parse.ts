import { parse } from '@cdktn/hcl2json';

/**
 * Parses HCL text with the hcl2json WASM parser (the HCL library Terraform uses, compiled to WASM).
 * @throws Error with the parser's message when the text is not valid HCL.
 */
export async function parseHcl(fileName: string, text: string): Promise<Record<string, unknown>> {
  return (await parse(fileName, text)) as Record<string, unknown>;
}
