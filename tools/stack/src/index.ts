export {
  headerValue,
  startArrivalSink,
  type Arrival,
  type ArrivalSink,
  type StartArrivalSinkOptions,
} from './arrival-sink.js';
export { findFreePort } from './free-port.js';
export { createKafkaTopics, deleteKafkaTopics, describeClusterAt } from './kafka/kafka-admin.js';
export {
  startKafkaCluster,
  type KafkaCluster,
  type KafkaNode,
  type StartKafkaClusterOptions,
  type TopicSpec,
} from './kafka/kafka-cluster.js';
export { kafkaInstallation, pinnedKafkaVersion, type KafkaInstallation } from './kafka/kafka-installation.js';
export { testFriendlySettings } from './kafka/kafka-node-properties.js';
export {
  canConnect,
  isProcessAlive,
  startPostgres,
  type PostgresServer,
  type StartPostgresOptions,
} from './postgres.js';
export { createSchemaRegistryState, startSchemaRegistry, type SchemaRegistryServer } from './schema-registry-server.js';
export {
  startSmtpSink,
  type FaultAction,
  type FaultRule,
  type ReceivedMessage,
  type SmtpAttempt,
  type SmtpSink,
  type StartSmtpSinkOptions,
} from './smtp-sink.js';
export { findRepoRoot } from './repo-root.js';
export { createTestCertificates, type TestCertificates } from './testing/test-certificates.js';
export {
  productTopics,
  startTestStack,
  type StartTestStackOptions,
  type TestBroker,
  type TestStack,
} from './testing/test-stack.js';
export { testLogger } from './testing/test-logger.js';
export { until } from './testing/until.js';
export { spawnProcess, spawnTypeScript, type RunningProcess } from './testing/child-process.js';
export { startMailViewer, type MailViewer } from './mail-viewer.js';
export { startStack, type Stack, type StackEndpoints, type StackOptions } from './stack.js';
export {
  buildWorkspace,
  serviceNames,
  startPipeline,
  testSecretKeys,
  type Pipeline,
  type PipelineOptions,
  type ServiceName,
} from './services.js';
