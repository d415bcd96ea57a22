/**
 * The `speedlayer` command's shell-facing guards on the cloud peers: Pub/Sub's new-group warning and its typed
 * refusal to grow, partition growth on a real Kafka broker, and plain AWS verbs without the SDK's Node warning.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uniqueName } from '@speedlayer/testing';
import { describePeer } from '@speedlayer/testing/peers/vitest';
import { expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/speedlayer.js', import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), 'speedlayer-cli-targets-'));

function run(args: string[], input?: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    input,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describePeer('pubsub', 'cli on Pub/Sub (pstest)', (pubsub) => {
  const stream = `pubsub://${pubsub.projectId}?emulatorHost=${pubsub.emulatorHost}`;

  it('consume with a new group from earliest warns that earlier messages are not delivered (and indeed gets none)', () => {
    const topic = uniqueName('cli-history');
    expect(run(['topic', 'create', topic, '--stream', stream]).code).toBe(0);
    expect(run(['produce', '--topic', topic, '--stream', stream], 'before the group\n').code).toBe(0);
    const r = run(['consume', '--topic', topic, '--stream', stream, '--group', 'fresh', '--idle-exit', '2000']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /warning: on gcp-pubsub-gke a new group sees only messages published after it first subscribed; if group fresh is new, earlier messages of .* are not delivered/,
    );
    expect(r.stdout).toBe('');
    const latest = run(['consume', '--topic', topic, '--stream', stream, '--from', 'latest', '--idle-exit', '500']);
    expect(latest.stderr).not.toMatch(/warning/);
  });

  it('topic grow is a typed refusal (exit 2): Pub/Sub topics have no partitions', () => {
    const topic = uniqueName('cli-grow');
    expect(run(['topic', 'create', topic, '--stream', stream]).code).toBe(0);
    const r = run(['topic', 'grow', topic, '--partitions', '4', '--stream', stream, '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stderr).error).toMatchObject({ kind: 'unsupported', field: 'partitions', target: 'gcp-pubsub-gke' });
  });
});

describePeer('kafka', 'cli on Kafka', (kafka) => {
  const stream = `kafka://${kafka.bootstrap}`;

  it('topic create with another count points to topic grow, which grows the topic on the broker', () => {
    const topic = uniqueName('cli-grow');
    expect(run(['topic', 'create', topic, '--partitions', '2', '--stream', stream]).code).toBe(0);
    const again = run(['topic', 'create', topic, '--partitions', '4', '--stream', stream]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(new RegExp(`exists with 2 partitions, not 4: grow it with: speedlayer topic grow ${topic}`));
    const grown = run(['topic', 'grow', topic, '--partitions', '4', '--stream', stream, '--json']);
    expect(grown.code, grown.stderr).toBe(0);
    expect(JSON.parse(grown.stdout)).toMatchObject({ name: topic, partitions: 4 });
    expect(JSON.parse(run(['topic', 'describe', topic, '--stream', stream, '--json']).stdout).partitions).toBe(4);
  });
});

describePeer('moto', 'cli on Kinesis (moto)', (moto) => {
  it('plain verbs print no NodeVersionSupportWarning from the AWS SDK', () => {
    const stream = `kinesis://${moto.region}?endpoint=${moto.endpoint}`;
    const topic = uniqueName('cli-quiet');
    // moto takes any key; the SDK's credential chain only needs one
    const creds = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' };
    const created = run(['topic', 'create', topic, '--stream', stream], undefined, creds);
    expect(created.code, created.stderr).toBe(0);
    const listed = run(['topic', 'list', '--stream', stream], undefined, creds);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(topic);
    for (const r of [created, listed]) expect(r.stderr).not.toMatch(/Warning/);
  });
});
