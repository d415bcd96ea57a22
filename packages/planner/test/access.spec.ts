import { describe, expect, it } from 'vitest';
import {
  accessPrincipals,
  deriveLoad,
  kafkaAclBindings,
  parseWorkload,
  validateWorkload,
  WorkloadValidationError,
} from '../src/index.js';

const base = {
  name: 'orders',
  ingress: { recordsPerSecond: 100, avgRecordBytes: 100 },
  processing: { msPerRecord: 1 },
  retentionHours: 24,
};

function issuesOf(input: unknown): { path: string; message: string }[] {
  try {
    validateWorkload(input);
  } catch (e) {
    expect(e).toBeInstanceOf(WorkloadValidationError);
    return [...(e as WorkloadValidationError).issues];
  }
  throw new Error('expected a validation error');
}

const yaml = `
name: orders
ingress: { recordsPerSecond: 100, avgRecordBytes: 100 }
processing: { msPerRecord: 1 }
retentionHours: 24
access:
  producers:
    - principal: orders-api
  consumers:
    - principal: billing
      group: billing
`;

describe('planner/workload access', () => {
  it('parses the access block of the issue and names the consumer groups after it', () => {
    const w = parseWorkload(yaml);
    expect(w.access).toEqual({
      producers: [{ principal: 'orders-api' }],
      consumers: [{ principal: 'billing', group: 'billing' }],
    });
    expect(w.consumerGroups).toBe(1);
    expect(deriveLoad(w).groups).toEqual(['billing']);
  });

  it('defaults a consumer group to the principal name and consumerGroups to the number of consumers', () => {
    const w = validateWorkload({
      ...base,
      access: { consumers: [{ principal: 'billing' }, { principal: 'fraud', group: 'fraud.v2' }] },
    });
    expect(w.access?.consumers).toEqual([
      { principal: 'billing', group: 'billing' },
      { principal: 'fraud', group: 'fraud.v2' },
    ]);
    expect(w.access?.producers).toEqual([]);
    expect(w.consumerGroups).toBe(2);
    expect(deriveLoad(w).groups).toEqual(['billing', 'fraud.v2']);
  });

  it('fills extra consumer groups with generated names after the named ones, skipping taken names', () => {
    const w = validateWorkload({ ...base, consumerGroups: 3, access: { consumers: [{ principal: 'a', group: 'orders-g1' }] } });
    expect(deriveLoad(w).groups).toEqual(['orders-g1', 'orders-g2', 'orders-g3']);
  });

  it('keeps workloads without access unchanged (one generated group)', () => {
    const w = validateWorkload(base);
    expect(w.access).toBeUndefined();
    expect(w.consumerGroups).toBe(1);
    expect(deriveLoad(w).groups).toEqual(['orders-g1']);
  });

  it('refuses consumerGroups below the number of named consumers', () => {
    const issues = issuesOf({ ...base, consumerGroups: 1, access: { consumers: [{ principal: 'a' }, { principal: 'b' }] } });
    expect(issues.map((i) => i.path)).toEqual(['consumerGroups']);
    expect(issues[0]!.message).toMatch(/2 consumers/);
  });

  it('names the field path of a bad principal and a bad group, with the value', () => {
    const issues = issuesOf({
      ...base,
      access: { producers: [{ principal: 'Orders_API' }], consumers: [{ principal: 'billing', group: '-x' }] },
    });
    expect(issues.map((i) => i.path).sort()).toEqual(['access.consumers[0].group', 'access.producers[0].principal']);
    expect(issues.find((i) => i.path === 'access.producers[0].principal')!.message).toContain('"Orders_API"');
  });

  it('names a missing principal as required and unknown fields by path', () => {
    const issues = issuesOf({ ...base, access: { producers: [{}], consumers: [{ principal: 'b', topic: 'x' }], admins: [] } });
    expect(issues.map((i) => i.path).sort()).toEqual([
      'access.admins',
      'access.consumers[0].topic',
      'access.producers[0].principal',
    ]);
    expect(issues.find((i) => i.path === 'access.producers[0].principal')!.message).toMatch(/required/);
  });

  it('refuses a duplicate producer, a duplicate consumer and two consumers in one group', () => {
    const issues = issuesOf({
      ...base,
      consumerGroups: 4,
      access: {
        producers: [{ principal: 'api' }, { principal: 'api' }],
        consumers: [
          { principal: 'a', group: 'g1' },
          { principal: 'a', group: 'g2' },
          { principal: 'b', group: 'g1' },
        ],
      },
    });
    expect(issues.map((i) => `${i.path}: ${i.message}`).sort()).toEqual([
      'access.consumers[1].principal: duplicate principal "a" (already at consumers[0])',
      'access.consumers[2].group: group "g1" is already read by consumers[0]; one principal per group',
      'access.producers[1].principal: duplicate principal "api" (already at producers[0])',
    ]);
  });

  it('refuses a non-list producers and a non-object access', () => {
    expect(issuesOf({ ...base, access: { producers: 'api' } }).map((i) => i.path)).toEqual(['access.producers']);
    expect(issuesOf({ ...base, access: 'all' }).map((i) => i.path)).toEqual(['access']);
  });
});

describe('planner/access kafkaAclBindings', () => {
  const access = validateWorkload({
    ...base,
    access: { producers: [{ principal: 'orders-api' }], consumers: [{ principal: 'billing', group: 'billing' }] },
  }).access!;

  it('grants producers Write+Describe on the topic and consumers Read+Describe on it and Read on their group', () => {
    const rows = kafkaAclBindings(access, 'orders', { deadLetterTopic: false }).map(
      (b) => `${b.resourceType}:${b.resourceName} ${b.principal} ${b.operation}`,
    );
    expect(rows).toEqual([
      'group:billing User:billing READ',
      'topic:orders User:billing READ',
      'topic:orders User:billing DESCRIBE',
      'topic:orders User:orders-api WRITE',
      'topic:orders User:orders-api DESCRIBE',
    ]);
  });

  it('gives every binding ALLOW, LITERAL and host *', () => {
    for (const b of kafkaAclBindings(access, 'orders')) {
      expect(b).toMatchObject({ permission: 'ALLOW', patternType: 'LITERAL', host: '*' });
    }
  });

  it('lets consumers publish dead letters to <topic>.dlq by default, or to a named topic', () => {
    const dlq = (o?: { deadLetterTopic?: string | false }) =>
      kafkaAclBindings(access, 'orders', o)
        .filter((b) => b.resourceName !== 'orders' && b.resourceType === 'topic')
        .map((b) => `${b.resourceName} ${b.principal} ${b.operation}`);
    expect(dlq()).toEqual(['orders.dlq User:billing WRITE', 'orders.dlq User:billing DESCRIBE']);
    expect(dlq({ deadLetterTopic: 'dead' })).toEqual(['dead User:billing WRITE', 'dead User:billing DESCRIBE']);
  });

  it('is deterministic: the order of the access block does not change the output, and overlaps are merged', () => {
    const a = {
      producers: [{ principal: 'z-api' }, { principal: 'billing' }],
      consumers: [
        { principal: 'fraud', group: 'fraud' },
        { principal: 'billing', group: 'billing' },
      ],
    };
    const b = { producers: [...a.producers].reverse(), consumers: [...a.consumers].reverse() };
    const out = kafkaAclBindings(a, 'orders');
    expect(kafkaAclBindings(b, 'orders')).toEqual(out);
    const billingDescribe = out.filter(
      (x) => x.principal === 'User:billing' && x.resourceName === 'orders' && x.operation === 'DESCRIBE',
    );
    expect(billingDescribe).toHaveLength(1);
    expect(new Set(out.map((x) => JSON.stringify(x))).size).toBe(out.length);
  });

  it('grants nothing for an empty access block', () => {
    expect(kafkaAclBindings({ producers: [], consumers: [] }, 'orders')).toEqual([]);
  });
});

describe('planner/access accessPrincipals', () => {
  it('lists each principal once, sorted, with what it does', () => {
    expect(
      accessPrincipals({
        producers: [{ principal: 'orders-api' }, { principal: 'billing' }],
        consumers: [{ principal: 'billing', group: 'billing' }],
      }),
    ).toEqual([
      { principal: 'billing', produces: true, groups: ['billing'] },
      { principal: 'orders-api', produces: true, groups: [] },
    ]);
    expect(accessPrincipals(undefined)).toEqual([]);
  });
});
