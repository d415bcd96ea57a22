/**
 * Stream and compute URIs. A URI names a service endpoint (a Kafka cluster, an AWS region, an Event Hubs
 * namespace, a Google Cloud project, a local data directory); a topic names what lives in it. Credentials
 * never go in a URI.
 *
 * @packageDocumentation
 */
import { ConfigError } from './errors.js';

/** A URI split into its parts. */
export interface ParsedUri {
  /** The URI as given (userinfo is refused, so it holds no secret). */
  raw: string;
  /** Lower-case scheme, e.g. `kafka`, `eventhubs+kafka`. */
  scheme: string;
  /** Everything between `://` and `?`: a host list, a region, a namespace, a path. */
  location: string;
  /** Query parameters (non-secret options such as `endpoint`). */
  params: URLSearchParams;
}

const URI_RE = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^?#]*)(?:\?([^#]*))?$/;

/**
 * Parses a stream or compute URI.
 * @throws {@link ConfigError} (field `uri`) when it is malformed or carries credentials.
 */
export function parseUri(raw: string, field = 'uri'): ParsedUri {
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new ConfigError(`${field} is empty; expected e.g. local://./data or kafka://host:9092`, { field });
  }
  const m = URI_RE.exec(raw.trim());
  if (!m) {
    throw new ConfigError(`${field} "${raw}" is not a URI of the form <scheme>://<location>`, { field });
  }
  const [, scheme = '', location = '', query = ''] = m;
  const hostPart = location.split('/')[0] ?? '';
  if (hostPart.includes('@')) {
    throw new ConfigError(
      `${field} must not carry credentials (user:password@); use the target's credential chain or a reference (env:VAR, file:/path)`,
      { field },
    );
  }
  return { raw: raw.trim(), scheme: scheme.toLowerCase(), location, params: new URLSearchParams(query) };
}

/** Splits `host:port,host:port` into a list, checking each entry. */
export function parseHostList(location: string, field = 'uri'): string[] {
  const hosts = location
    .replace(/\/+$/, '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  if (hosts.length === 0) throw new ConfigError(`${field} names no host`, { field });
  for (const h of hosts) {
    if (!/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(h)) {
      throw new ConfigError(`${field}: "${h}" is not host:port`, { field });
    }
    const port = Number(h.slice(h.lastIndexOf(':') + 1));
    if (port < 1 || port > 65_535) {
      throw new ConfigError(`${field}: port ${port} of "${h}" is out of range (1-65535)`, { field });
    }
  }
  return hosts;
}
