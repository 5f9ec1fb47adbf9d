export { startArrivalSink, type Arrival, type ArrivalSink } from './arrival-sink.js';
export { findFreePort } from './free-port.js';
export { startImapServer, type ImapServer } from './imap-server.js';
export { createKafkaTopics, deleteKafkaTopics } from './kafka/kafka-admin.js';
export { startKafkaCluster, type KafkaCluster, type KafkaNode } from './kafka/kafka-cluster.js';
export { pinnedKafkaVersion } from './kafka/kafka-installation.js';
export { canConnect, isProcessAlive, startPostgres, type PostgresServer } from './postgres.js';
export { startSchemaRegistry, type SchemaRegistryServer } from './schema-registry-server.js';
export { startSmtpSink, type ReceivedMessage, type SmtpSink } from './smtp-sink.js';
export { findRepoRoot } from './repo-root.js';
export { alertRulesPath, startPrometheus } from './prometheus.js';
export { startOtlpReceiver, type OtlpReceiver } from './otlp-receiver.js';
export { createTestCertificates, type TestCertificates } from './testing/test-certificates.js';
export { startTestStack, type TestStack } from './testing/test-stack.js';
export { testLogger } from './testing/test-logger.js';
export { until } from './testing/until.js';
export { spawnProcess, spawnTypeScript, type RunningProcess } from './testing/child-process.js';
export { type StackEndpoints } from './stack.js';
export {
  buildWorkspace,
  serviceDatabaseRoles,
  serviceNames,
  startPipeline,
  type Pipeline,
  type ServiceName,
} from './services.js';
export { assembleRuntime } from './runtime-image/assemble-runtime.js';
export { imageNodeVersion, nodeExecutable } from './runtime-image/image-node.js';
