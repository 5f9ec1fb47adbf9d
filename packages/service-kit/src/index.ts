export { connectInfrastructure, type Infrastructure, type InfrastructureConfig } from './connect-infrastructure.js';
export {
  runOutflowService,
  type BaseConfig,
  type RunOutflowServiceOptions,
  type ServiceContext,
  type ServiceParts,
} from './run-outflow-service.js';
