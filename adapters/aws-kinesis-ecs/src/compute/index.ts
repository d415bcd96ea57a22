/**
 * The ECS (Fargate) compute adapter (`ecs://<region>/<cluster>`).
 *
 * @packageDocumentation
 */
export { computeFactory, createEcsCompute, EcsCompute, type EcsConfig, ecsConfigSchema, ecsTaskSize } from './ecs.js';
export { deployEcsPlan, type EcsPlanDeployment, type EcsPlanFile, ecsPlanInputs } from './plan-deploy.js';
