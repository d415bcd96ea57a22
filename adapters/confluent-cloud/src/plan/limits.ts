/**
 * Confluent Cloud cluster types (Basic, Standard, Enterprise, Dedicated): the limits the sizing rule uses, each with
 * the page it was read from and its status. Capacity per eCKU/CKU is a planning figure: Confluent publishes it "for
 * planning purposes, not a guarantee of performance".
 *
 * @packageDocumentation
 */
import { fact, KAFKA_FACTS, MB, type Sourced } from '@speedlayer/planner';

const TYPES = 'https://docs.confluent.io/cloud/current/clusters/cluster-types.html';
const ACLS = 'https://docs.confluent.io/cloud/current/security/access-control/acls/overview.html';
const PROVIDER = 'https://registry.terraform.io/providers/confluentinc/confluent/2.83.3/docs';

/** A Confluent Cloud cluster type. */
export type ClusterType = 'basic' | 'standard' | 'enterprise' | 'dedicated';

/** The limits of one cluster type. */
export interface ClusterTypeLimits {
  /** Largest message, bytes. */
  readonly maxMessageBytes: Sourced;
  /** Most capacity units (eCKUs, or CKUs on Dedicated) a cluster scales or is provisioned to. */
  readonly maxUnits: Sourced;
  /** Ingress one unit serves, bytes/s. */
  readonly ingressPerUnit: Sourced;
  /** Egress one unit serves, bytes/s. */
  readonly egressPerUnit: Sourced;
  /** Partitions (pre-replication) one unit holds. */
  readonly partitionsPerUnit: Sourced;
  /** Uptime SLA (multi-zone where offered). */
  readonly sla: string;
  /** Private networking (Private Link / Private Service Connect) available. */
  readonly privateNetworking: boolean;
  /** Elastic (eCKUs billed on use) rather than provisioned CKUs. */
  readonly elastic: boolean;
}

const unconfirmed = 'unconfirmed' as const;
const note = 're-verify on the cluster types page before relying on it';

/** Limits per cluster type. */
export const CLUSTER_TYPES: Readonly<Record<ClusterType, ClusterTypeLimits>> = {
  basic: {
    maxMessageBytes: fact(8 * MB, 'bytes per message (Basic)', TYPES, unconfirmed, note),
    maxUnits: fact(50, 'eCKUs per Basic cluster', TYPES, unconfirmed, note),
    ingressPerUnit: fact(5 * MB, 'bytes/s ingress per eCKU (Basic)', TYPES, unconfirmed, note),
    egressPerUnit: fact(15 * MB, 'bytes/s egress per eCKU (Basic)', TYPES, unconfirmed, note),
    partitionsPerUnit: fact(100, 'partitions per eCKU (Basic)', TYPES, unconfirmed, note),
    sla: '99.5% (single zone)',
    privateNetworking: false,
    elastic: true,
  },
  standard: {
    maxMessageBytes: fact(8 * MB, 'bytes per message (Standard)', TYPES, unconfirmed, note),
    maxUnits: fact(10, 'eCKUs per Standard cluster', TYPES, unconfirmed, note),
    ingressPerUnit: fact(25 * MB, 'bytes/s ingress per eCKU (Standard)', TYPES, unconfirmed, note),
    egressPerUnit: fact(75 * MB, 'bytes/s egress per eCKU (Standard)', TYPES, unconfirmed, note),
    partitionsPerUnit: fact(500, 'partitions per eCKU (Standard)', TYPES, unconfirmed, note),
    sla: '99.99% (multi-zone)',
    privateNetworking: false,
    elastic: true,
  },
  enterprise: {
    maxMessageBytes: fact(8 * MB, 'bytes per message (Enterprise)', TYPES, unconfirmed, note),
    maxUnits: fact(32, 'eCKUs per Enterprise cluster', TYPES, unconfirmed, note),
    ingressPerUnit: fact(60 * MB, 'bytes/s ingress per eCKU (Enterprise)', TYPES, unconfirmed, note),
    egressPerUnit: fact(180 * MB, 'bytes/s egress per eCKU (Enterprise)', TYPES, unconfirmed, note),
    partitionsPerUnit: fact(3000, 'partitions per eCKU (Enterprise)', TYPES, unconfirmed, note),
    sla: '99.99% (multi-zone)',
    privateNetworking: true,
    elastic: true,
  },
  dedicated: {
    maxMessageBytes: fact(20 * MB, 'bytes per message (Dedicated)', TYPES, unconfirmed, note),
    maxUnits: fact(152, 'CKUs per Dedicated cluster', TYPES, unconfirmed, note),
    ingressPerUnit: fact(60 * MB, 'bytes/s ingress per CKU (Dedicated)', TYPES, unconfirmed, note),
    egressPerUnit: fact(180 * MB, 'bytes/s egress per CKU (Dedicated)', TYPES, unconfirmed, note),
    partitionsPerUnit: fact(4500, 'partitions per CKU (Dedicated, pre-replication)', TYPES, unconfirmed, note),
    sla: '99.99% (multi-zone, 2 CKUs minimum)',
    privateNetworking: true,
    elastic: false,
  },
};

/** Limits shared by every cluster type. */
export const CONFLUENT_LIMITS = {
  ...KAFKA_FACTS,
  dedicatedMultiZoneMinCku: fact(2, 'CKUs at least for a multi-zone Dedicated cluster', TYPES, unconfirmed, note),
  acls: fact(true, 'Kafka ACLs on every cluster type, principals User:<service account id>', ACLS),
  provider: fact('2.83.3', 'confluentinc/confluent Terraform provider version pinned by the emitter', PROVIDER),
} as const;

/** The pinned confluentinc/confluent provider version. */
export const CONFLUENT_PROVIDER_VERSION = CONFLUENT_LIMITS.provider.value;
