import { topicContracts, topicNames } from '@outflow/contracts';
import { startMockBroker, type MockBroker } from '../mock-broker.js';
import { startSchemaRegistry, type SchemaRegistryServer } from '../schema-registry-server.js';
import { startSmtpSink, type SmtpSink } from '../smtp-sink.js';

/** The product's topics with their partition counts, as the dev broker pre-creates them. */
export function productTopics(prefix = ''): Array<{ name: string; partitions: number }> {
  return topicNames.map((topic) => ({ name: `${prefix}${topic}`, partitions: topicContracts[topic].partitions }));
}

export interface TestStack {
  broker: MockBroker;
  registry: SchemaRegistryServer;
  smtp: SmtpSink;
  close(): Promise<void>;
}

/**
 * A broker (with the product topics), a schema registry and an SMTP sink of this test file's own: nothing can
 * be deleted from a mock broker, so every test file starts from a fresh one (~10 ms). PostgreSQL comes from
 * createTestDatabase.
 */
export async function startTestStack(): Promise<TestStack> {
  const broker = await startMockBroker({ topics: productTopics() });
  const registry = await startSchemaRegistry();
  const smtp = await startSmtpSink();
  return {
    broker,
    registry,
    smtp,
    async close() {
      await smtp.stop();
      await registry.stop();
      await broker.stop();
    },
  };
}
