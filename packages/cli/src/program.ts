/**
 * Builds the `speedlayer` command tree. Each verb lives in `commands/` and registers itself.
 *
 * @packageDocumentation
 */
import { Command } from 'commander';
import { registerAcl } from './commands/acl.js';
import { registerBench } from './commands/bench.js';
import { registerConsume } from './commands/consume.js';
import { registerDemo } from './commands/demo.js';
import { registerDeploy } from './commands/deploy.js';
import { registerLag } from './commands/lag.js';
import { registerMigrate } from './commands/migrate.js';
import { registerPeers } from './commands/peers.js';
import { registerCompare, registerPlan } from './commands/plan.js';
import { registerProduce } from './commands/produce.js';
import { registerTargets } from './commands/targets.js';
import { registerTopic } from './commands/topic.js';
import { registerWorker } from './commands/worker.js';
import { examples, jsonRequested } from './common.js';

/** The verbs, in help order. Adding a verb = one line here. */
const verbs: Array<(program: Command) => void> = [
  registerDemo,
  registerTopic,
  registerProduce,
  registerConsume,
  registerLag,
  registerWorker,
  registerDeploy,
  registerPlan,
  registerCompare,
  registerTargets,
  registerBench,
  registerMigrate,
  registerAcl,
  registerPeers,
];

/** Creates the program (exit codes: 0 ok, 1 failure, 2 usage or input error). */
export function buildProgram(): Command {
  const program = new Command('speedlayer')
    .description(
      'one stream and one compute interface over MSK/EKS, Kinesis/ECS, Event Hubs/AKS, Pub/Sub/GKE and an embedded local target',
    )
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      // With --json a usage error is one JSON object on stderr, like every other error.
      outputError: (text, write) =>
        write(
          jsonRequested()
            ? `${JSON.stringify({ error: { kind: 'usage', message: text.replace(/^error: /, '').trim(), exitCode: 2 } })}\n`
            : text,
        ),
      writeErr: (text) => {
        if (!jsonRequested() || text.startsWith('{"error"')) process.stderr.write(text);
      },
    })
    .exitOverride();
  program.addHelpText(
    'after',
    examples('speedlayer demo', 'speedlayer topic create orders --partitions 3 && speedlayer consume --topic orders --count 5'),
  );
  for (const register of verbs) register(program);
  program.commands.forEach(function inherit(c: Command) {
    c.exitOverride();
    c.commands.forEach(inherit);
  });
  return program;
}
