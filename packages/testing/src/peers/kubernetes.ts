/**
 * A Kubernetes API server without Docker: upstream kube-apiserver and etcd, built from the published Go modules
 * through the project's wrapper module (`packages/testing/peers-go/kube-apiserver`), started envtest-style:
 * generated CA, serving and admin client certificates, service-account keys, RBAC authorization, and a
 * kubeconfig (mode 0600) with an admin credential (`O=system:masters`). There are no controllers, scheduler or
 * kubelet: objects are stored and validated (including server-side apply and dry-run) but never run.
 *
 * @packageDocumentation
 */

import { mkdir, readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import {
  PeerError,
  type PeerRecord,
  type ProcessRecord,
  removeTree,
  run,
  sleep,
  spawnDetached,
  tools,
  withTimeout,
  writePrivateFile,
} from './common.js';
import { wrapperModuleUnit } from './gobuild.js';
import type { PeerDefinition, StartContext } from './peer.js';
import { ensureCa, ensureCert } from './tls.js';
import type { KubernetesStatus } from './types.js';

/** Pinned Kubernetes version (see peers-go/kube-apiserver/go.mod). */
export const KUBERNETES_VERSION = 'v1.35.4';
/** etcd version (the one k8s.io/kubernetes requires, built from the same module graph). */
export const ETCD_VERSION = 'v3.6.5';

const unit = wrapperModuleUnit(`kube-apiserver-${KUBERNETES_VERSION}`, 'kube-apiserver', ['./cmd/kube-apiserver', './cmd/etcd']);

function get(url: string, tlsFiles?: { ca: Buffer; cert: Buffer; key: Buffer }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const onResponse = (res: import('node:http').IncomingMessage) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    };
    const req = tlsFiles
      ? httpsRequest(url, { ca: tlsFiles.ca, cert: tlsFiles.cert, key: tlsFiles.key, servername: 'localhost' }, onResponse)
      : httpRequest(url, onResponse);
    req.once('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`${url} timed out`)));
    req.end();
  });
}

async function etcdHealthy(url: string): Promise<void> {
  const res = await get(`${url}/health`);
  if (res.status !== 200 || !res.body.includes('"health":"true"'))
    throw new Error(`etcd /health answered ${res.status}: ${res.body}`);
}

function kubeconfigYaml(server: string, ca: Buffer, cert: Buffer, key: Buffer): string {
  const b64 = (b: Buffer) => b.toString('base64');
  return `apiVersion: v1
kind: Config
clusters:
- name: speedlayer-test
  cluster:
    server: ${server}
    certificate-authority-data: ${b64(ca)}
users:
- name: speedlayer-admin
  user:
    client-certificate-data: ${b64(cert)}
    client-key-data: ${b64(key)}
contexts:
- name: speedlayer-test
  context:
    cluster: speedlayer-test
    user: speedlayer-admin
    namespace: default
current-context: speedlayer-test
`;
}

async function start(ctx: StartContext): Promise<{ status: KubernetesStatus }> {
  const [dir] = ctx.installDirs as [string];
  const { runDir } = ctx;
  const p = ctx.ports as Record<'apiserver' | 'etcdClient' | 'etcdPeer', number>;
  const setupLog = join(runDir, 'setup.log');
  const pki = join(runDir, 'pki');
  const ca = await ensureCa(pki, 'ca', 'speedlayer test Kubernetes CA', setupLog);
  const serving = await ensureCert(
    pki,
    'apiserver',
    ca,
    {
      cn: 'kube-apiserver',
      sans: [
        'IP:127.0.0.1',
        'DNS:localhost',
        'IP:10.0.0.1',
        'DNS:kubernetes',
        'DNS:kubernetes.default',
        'DNS:kubernetes.default.svc',
      ],
      usage: 'server',
    },
    setupLog,
  );
  const admin = await ensureCert(pki, 'admin', ca, { cn: 'speedlayer-admin', o: 'system:masters', usage: 'client' }, setupLog);
  const saKey = join(pki, 'service-account.key');
  const saPub = join(pki, 'service-account.pub');
  await run('sh', ['-c', `test -s "${saKey}" || openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "${saKey}"`], {
    logFile: setupLog,
  });
  await run('openssl', ['pkey', '-in', saKey, '-pubout', '-out', saPub], { logFile: setupLog });

  // etcd, fresh data on every start.
  const etcdData = join(runDir, 'etcd-data');
  await removeTree(etcdData);
  await mkdir(etcdData, { recursive: true, mode: 0o700 });
  const etcdUrl = `http://127.0.0.1:${p.etcdClient}`;
  const peerUrl = `http://127.0.0.1:${p.etcdPeer}`;
  const etcd: ProcessRecord = await spawnDetached(
    'etcd',
    join(dir, 'bin', 'etcd'),
    [
      '--name=speedlayer',
      `--data-dir=${etcdData}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=speedlayer=${peerUrl}`,
      '--initial-cluster-state=new',
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    { cwd: runDir, log: join(runDir, 'etcd.log') },
  );
  ctx.track(etcd);
  const etcdDeadline = Date.now() + 30_000;
  for (;;) {
    try {
      await etcdHealthy(etcdUrl);
      break;
    } catch (e) {
      if (Date.now() > etcdDeadline)
        throw new PeerError('kubernetes', `etcd did not become healthy on ${etcdUrl} within 30s`, { cause: e });
      await sleep(200);
    }
  }

  const server = `https://127.0.0.1:${p.apiserver}`;
  ctx.track(
    await spawnDetached(
      'kube-apiserver',
      join(dir, 'bin', 'kube-apiserver'),
      [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${p.apiserver}`,
        `--cert-dir=${join(runDir, 'apiserver-certs')}`,
        `--tls-cert-file=${serving.cert}`,
        `--tls-private-key-file=${serving.key}`,
        `--client-ca-file=${ca.cert}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${saPub}`,
        `--service-account-signing-key-file=${saKey}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        '--authorization-mode=RBAC',
        '--allow-privileged=true',
        '--disable-admission-plugins=ServiceAccount',
        '--enable-priority-and-fairness=false',
        '--profiling=false',
        '--v=1',
      ],
      { cwd: runDir, log: join(runDir, 'kube-apiserver.log') },
    ),
  );

  const kubeconfig = join(runDir, 'kubeconfig');
  const [caPem, certPem, keyPem] = await Promise.all([readFile(ca.cert), readFile(admin.cert), readFile(admin.key)]);
  await writePrivateFile(kubeconfig, kubeconfigYaml(server, caPem, certPem, keyPem));
  return { status: { version: KUBERNETES_VERSION, kubeconfig, server, caFile: ca.cert, etcd: etcdUrl } };
}

async function probe(record: PeerRecord): Promise<void> {
  const s = record.status as KubernetesStatus;
  const pki = join(s.kubeconfig, '..', 'pki');
  const tlsFiles = {
    ca: await readFile(s.caFile),
    cert: await readFile(join(pki, 'admin.pem')),
    key: await readFile(join(pki, 'admin.key')),
  };
  await withTimeout(
    (async () => {
      await etcdHealthy(s.etcd);
      const ready = await get(`${s.server}/readyz`, tlsFiles);
      if (ready.status !== 200) throw new Error(`kube-apiserver /readyz answered ${ready.status}: ${ready.body.slice(0, 300)}`);
      // The system namespaces controller creates `default` shortly after readiness; tests need it.
      const ns = await get(`${s.server}/api/v1/namespaces/default`, tlsFiles);
      if (ns.status !== 200) throw new Error(`namespace default not there yet (${ns.status})`);
    })(),
    10_000,
    'kubernetes',
  );
}

/** The Kubernetes (kube-apiserver + etcd) peer. */
export const kubernetesPeer: PeerDefinition = {
  name: 'kubernetes',
  version: KUBERNETES_VERSION,
  requirements: [tools.go, tools.openssl],
  units: [unit],
  ports: [
    { role: 'apiserver', preferred: 6443, env: 'SPEEDLAYER_KUBE_APISERVER_PORT' },
    { role: 'etcdClient', preferred: 2379, env: 'SPEEDLAYER_ETCD_PORT' },
    { role: 'etcdPeer', preferred: 2380, env: 'SPEEDLAYER_ETCD_PEER_PORT' },
  ],
  data: { kept: false, note: 'etcd data is wiped on every start: a restart is an empty cluster' },
  startTimeoutMs: 180_000,
  start,
  probe,
};
