/**
 * `acl apply <workload> --stream <kafka-uri>`: the Kafka ACLs a workload's `access` block grants, applied to a
 * running cluster through the Admin API — idempotently, and with `--prune` removing what the workload no longer
 * grants on its topic, its dead-letter topic and its groups. Never prints a secret (the URI's password is a reference).
 *
 * @packageDocumentation
 */

import { ConfigError, connect } from '@speedlayer/core';
import { applyKafkaAcls, type KafkaAcl, type KafkaAclChanges } from '@speedlayer/kafka';
import { deadLetterTopicName, kafkaAclBindings, loadWorkload } from '@speedlayer/planner';
import type { Command } from 'commander';
import { action, examples } from '../common.js';

interface AclApplyOptions {
  stream: string;
  topic?: string;
  group?: string[];
  prune?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

function line(mark: string, a: KafkaAcl): string {
  return `  ${mark} ${a.permission} ${a.principal} ${a.operation} on ${a.resourceType} ${a.resourceName}${a.host === '*' ? '' : ` from ${a.host}`}`;
}

function report(topic: string, changes: KafkaAclChanges, o: AclApplyOptions): string {
  const verb = o.dryRun ? 'would be ' : '';
  const out = [
    `acl apply on topic ${topic}${o.dryRun ? ' (dry run: nothing changed)' : ''}: ` +
      `${changes.created.length} ${verb}created, ${changes.deleted.length} ${verb}deleted, ${changes.unchanged.length} unchanged`,
    ...changes.created.map((a) => line('+', a)),
    ...changes.deleted.map((a) => line('-', a)),
    ...changes.unchanged.map((a) => line('=', a)),
  ];
  return `${out.join('\n')}\n`;
}

/** Registers `acl apply`. */
export function registerAcl(program: Command): void {
  const acl = program
    .command('acl')
    .description("apply a workload's access block (producers, consumers and their groups) as Kafka ACLs")
    .addHelpText(
      'after',
      examples(
        'speedlayer acl apply workload.yaml --stream "kafka://b1:9096?tls=true&caFile=/ca.pem&sasl=scram-sha-512&username=admin&password=env:KAFKA_ADMIN_PASSWORD"',
      ),
    );
  acl
    .command('apply <workload>')
    .description(
      "create the Kafka ACLs the workload's access block grants (producers: Write+Describe on the topic; consumers: " +
        'Read+Describe on the topic, Read on their group, Write+Describe on <topic>.dlq); idempotent. The stream ' +
        "client's user needs Alter and Describe on the cluster (a super user, usually)",
    )
    .requiredOption('--stream <uri>', 'Kafka stream URI of the cluster (password by reference: password=env:VAR or file:/path)')
    .option('--topic <topic>', "the topic the access block is about (default: the workload's name)")
    .option(
      '--prune',
      "also delete the literal ACLs on the topic, its dead-letter topic and the workload's groups (and --group's) that the " +
        'workload no longer grants',
    )
    .option(
      '--group <group>',
      "manage this group's ACLs too (repeatable): with --prune, the group of a consumer removed from the workload " +
        '(the workload no longer names it, so it is not pruned otherwise)',
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .option('--dry-run', 'print what would change, change nothing')
    .option('--json', 'print one JSON object {"created":[...],"deleted":[...],"unchanged":[...]} (each an ACL binding)')
    .addHelpText(
      'after',
      examples(
        'KAFKA_ADMIN_PASSWORD=... speedlayer acl apply orders.yaml --stream "kafka://127.0.0.1:9096?tls=true&caFile=ca.pem&sasl=scram-sha-512&username=admin&password=env:KAFKA_ADMIN_PASSWORD"',
        'speedlayer acl apply orders.yaml --stream "$KAFKA_URI" --prune --group analytics --dry-run --json',
      ),
    )
    .action(
      action(async (file: string, o: AclApplyOptions) => {
        const workload = await loadWorkload(file);
        if (!workload.access) {
          throw new ConfigError(
            `workload ${workload.name} (${file}) has no access block: nothing to apply (an empty block { producers: [], consumers: [] } with --prune removes every grant)`,
            { field: 'access' },
          );
        }
        const topic = o.topic ?? workload.name;
        const desired = kafkaAclBindings(workload.access, topic);
        const client = await connect(o.stream);
        try {
          const changes = await applyKafkaAcls(client, desired, {
            scope: {
              topics: [topic, deadLetterTopicName(topic)],
              groups: [...workload.access.consumers.map((c) => c.group), ...(o.group ?? [])],
            },
            prune: o.prune === true,
            dryRun: o.dryRun === true,
          });
          process.stdout.write(
            o.json
              ? `${JSON.stringify({ created: changes.created, deleted: changes.deleted, unchanged: changes.unchanged, ...(o.dryRun ? { dryRun: true } : {}) })}\n`
              : report(topic, changes, o),
          );
        } finally {
          await client.close();
        }
      }),
    );
}
