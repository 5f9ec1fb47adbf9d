export { runOutflowService, type ServiceContext, type ServiceParts } from './run-outflow-service.js';
