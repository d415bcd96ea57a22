/**
 * Process entry of the Event Hubs stand-in peer (`node dist/eventhubs-standin/main.js`), started by the peer
 * launcher. Arguments: `--host`, `--port`, `--management-port`, `--namespace`, `--key-name`,
 * `--max-message-bytes`, `--hub <name>:<partitions>` (repeatable, created at start). The shared access key
 * comes from the environment variable `SPEEDLAYER_EVENTHUBS_STANDIN_KEY` (never from the command line, which
 * other users can read). Stops cleanly on SIGTERM/SIGINT.
 *
 * @packageDocumentation
 */

import { parseArgs } from 'node:util';
import { startEventHubsStandIn } from './index.js';

const KEY_ENV = 'SPEEDLAYER_EVENTHUBS_STANDIN_KEY';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '5672' },
    'management-port': { type: 'string', default: '0' },
    namespace: { type: 'string', default: 'standin' },
    'key-name': { type: 'string', default: 'RootManageSharedAccessKey' },
    'max-message-bytes': { type: 'string' },
    hub: { type: 'string', multiple: true, default: [] },
  },
  strict: true,
});

const log = (line: string) => process.stdout.write(`${new Date().toISOString()} [eventhubs-standin] ${line}\n`);

const key = process.env[KEY_ENV];
if (!key) {
  process.stderr.write(`eventhubs-standin: set ${KEY_ENV} to the shared access key\n`);
  process.exit(2);
}

const standIn = await startEventHubsStandIn({
  host: values.host,
  port: Number(values.port),
  managementPort: Number(values['management-port']),
  namespace: values.namespace,
  keyName: values['key-name'],
  key,
  ...(values['max-message-bytes'] !== undefined ? { maxMessageBytes: Number(values['max-message-bytes']) } : {}),
  log,
});
for (const spec of values.hub) {
  const [name = '', count = '1'] = spec.split(':');
  standIn.createHub(name, Number(count));
  log(`created event hub '${name}' with ${count} partitions`);
}
log(`ready: AMQP ${standIn.endpoint}, management ${standIn.managementEndpoint}${standIn.namespaceResourceId}`);

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping`);
  standIn.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
