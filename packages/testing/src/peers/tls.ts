/**
 * Certificates for local peers, made with the machine's `openssl`: a CA and certificates it signs, keys in
 * PKCS#8 PEM. Generated once per runtime directory and kept (mode 0600 for keys).
 *
 * @packageDocumentation
 */

import { existsSync } from 'node:fs';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './common.js';

/** Files of a CA. */
export interface CaFiles {
  /** CA certificate (PEM). */
  cert: string;
  /** CA private key (PKCS#8 PEM). */
  key: string;
}

/** Files of an issued certificate. */
export interface CertFiles {
  /** Certificate (PEM). */
  cert: string;
  /** Private key (PKCS#8 PEM). */
  key: string;
}

/** Creates (once) a self-signed CA in `dir` as `<name>.pem` / `<name>.key`. */
export async function ensureCa(dir: string, name: string, cn: string, logFile: string): Promise<CaFiles> {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  if (existsSync(cert) && existsSync(key)) return { cert, key };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await run(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '3650',
      '-subj',
      `/CN=${cn}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    { logFile },
  );
  await chmod(key, 0o600);
  return { cert, key };
}

/** What to put in an issued certificate. */
export interface CertRequest {
  /** Subject common name. */
  cn: string;
  /** Subject organisation (Kubernetes reads groups from it), optional. */
  o?: string;
  /** Subject alternative names, e.g. `IP:127.0.0.1`, `DNS:localhost`. */
  sans?: string[];
  /** Extended key usage. */
  usage: 'server' | 'client';
}

/** Issues (once) a certificate signed by `ca` into `dir` as `<name>.pem` / `<name>.key`. */
export async function ensureCert(dir: string, name: string, ca: CaFiles, req: CertRequest, logFile: string): Promise<CertFiles> {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  if (existsSync(cert) && existsSync(key)) return { cert, key };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  const subject = `/CN=${req.cn}${req.o ? `/O=${req.o}` : ''}`;
  const lines = [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${req.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
  ];
  if (req.sans?.length) lines.push(`subjectAltName=${req.sans.join(',')}`);
  await writeFile(ext, `${lines.join('\n')}\n`);
  await run('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', subject], {
    logFile,
  });
  await run(
    'openssl',
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-CAcreateserial',
      '-out',
      cert,
      '-days',
      '3650',
      '-extfile',
      ext,
    ],
    { logFile },
  );
  await chmod(key, 0o600);
  await rm(csr, { force: true });
  await rm(ext, { force: true });
  return { cert, key };
}
