/**
 * Shared access signature (SAS) tokens as Event Hubs checks them: `SharedAccessSignature sr=<url-encoded
 * resource>&sig=<url-encoded base64 HMAC-SHA256>&se=<expiry, unix seconds>&skn=<key name>`, signed over
 * `<url-encoded resource> + "\n" + <expiry>` with the key's UTF-8 bytes. Used by the stand-in's `$cbs` node,
 * its `$management` node and its management plane.
 *
 * @packageDocumentation
 */

import { createHmac, timingSafeEqual } from 'node:crypto';

/** Why a token was refused (no secret in any of them). */
export type SasRefusal = 'malformed' | 'unknown-key' | 'bad-signature' | 'expired' | 'audience';

/** The outcome of {@link verifySasToken}. */
export type SasVerdict =
  | {
      /** The token is valid. */
      ok: true;
      /** The decoded resource URI the token is for. */
      resource: string;
      /** Expiry in unix seconds. */
      expiresAt: number;
      /** Name of the key that signed it. */
      keyName: string;
    }
  | {
      /** The token is refused. */
      ok: false;
      /** Why. */
      reason: SasRefusal;
      /** A description without secrets. */
      description: string;
    };

/** Builds a SAS token for `resource`, signed with `key` (as `@azure/core-amqp` does). */
export function createSasToken(resource: string, keyName: string, key: string, expiresAt: number): string {
  const sr = encodeURIComponent(resource);
  const sig = createHmac('sha256', key).update(`${sr}\n${expiresAt}`).digest('base64');
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig)}&se=${expiresAt}&skn=${encodeURIComponent(keyName)}`;
}

/**
 * A resource URI reduced to what the service compares: lower case, no scheme, no trailing slash.
 * `sb://ns.example/hub/` and `https://NS.example/hub` compare equal.
 */
export function normalizeResource(uri: string): string {
  return uri
    .trim()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
    .replace(/\/+$/, '')
    .toLowerCase();
}

/** True when `granted` covers `wanted`: equal, or a prefix of it ending at a path segment boundary. */
export function resourceCovers(granted: string, wanted: string): boolean {
  const g = normalizeResource(granted);
  const w = normalizeResource(wanted);
  return w === g || w.startsWith(`${g}/`);
}

/**
 * Checks a SAS token: shape, key name, HMAC-SHA256 signature, expiry and (when `audience` is given) that the
 * token's resource covers it.
 *
 * @param keys known key names and their keys.
 * @param nowSeconds the clock, unix seconds.
 */
export function verifySasToken(
  token: string,
  keys: ReadonlyMap<string, string>,
  audience: string | undefined,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): SasVerdict {
  const prefix = 'SharedAccessSignature ';
  if (!token.startsWith(prefix)) {
    return { ok: false, reason: 'malformed', description: 'the token is not a SharedAccessSignature' };
  }
  const fields = new Map<string, string>();
  for (const part of token.slice(prefix.length).split('&')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const sr = fields.get('sr');
  const sig = fields.get('sig');
  const se = fields.get('se');
  const skn = fields.get('skn');
  if (sr === undefined || sig === undefined || se === undefined || skn === undefined || !/^\d+$/.test(se)) {
    return { ok: false, reason: 'malformed', description: 'the token lacks sr, sig, se or skn' };
  }
  let keyName: string;
  let resource: string;
  let signature: Buffer;
  try {
    keyName = decodeURIComponent(skn);
    resource = decodeURIComponent(sr);
    signature = Buffer.from(decodeURIComponent(sig), 'base64');
  } catch {
    return { ok: false, reason: 'malformed', description: 'the token has a badly encoded field' };
  }
  const key = keys.get(keyName);
  if (key === undefined) {
    return { ok: false, reason: 'unknown-key', description: `InvalidSignature: the key name '${keyName}' is not known` };
  }
  const expected = createHmac('sha256', key).update(`${sr}\n${se}`).digest();
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
    return { ok: false, reason: 'bad-signature', description: 'InvalidSignature: the token signature is not valid' };
  }
  const expiresAt = Number(se);
  if (expiresAt <= nowSeconds) {
    return { ok: false, reason: 'expired', description: 'ExpiredToken: the token has expired' };
  }
  if (audience !== undefined && !resourceCovers(resource, audience)) {
    return {
      ok: false,
      reason: 'audience',
      description: `InvalidAudience: the token is for '${resource}', which does not cover '${audience}'`,
    };
  }
  return { ok: true, resource, expiresAt, keyName };
}
