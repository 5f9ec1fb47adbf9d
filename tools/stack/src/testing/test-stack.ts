import { topicContracts, topicNames } from '@outflow/contracts';
import { startMockBroker } from '../mock-broker.js';
import { startReplaceableBroker } from '../replaceable-broker.js';
import { startSchemaRegistry, type SchemaRegistryServer } from '../schema-registry-server.js';
import { startSmtpSink, type SmtpSink, type StartSmtpSinkOptions } from '../smtp-sink.js';

/** The product's topics with their partition counts, as the dev broker pre-creates them. */
export function productTopics(prefix = ''): Array<{ name: string; partitions: number }> {
  return topicNames.map((topic) => ({ name: `${prefix}${topic}`, partitions: topicContracts[topic].partitions }));
}

export interface TestBroker {
  /** KAFKA_BROKERS for clients. */
  brokers: string[];
  /**
   * Kills the broker and starts an empty one at the same address (total broker data loss). Only for a stack
   * started with `replaceableBroker: true`.
   */
  replace(): Promise<void>;
  /** The broker process (for CPU and memory figures); undefined behind the replaceable proxy. */
  pid?: number;
  stop(): Promise<void>;
}

export interface TestStack {
  broker: TestBroker;
  registry: SchemaRegistryServer;
  smtp: SmtpSink;
  close(): Promise<void>;
}

/**
 * A broker (with the product topics), a schema registry and an SMTP sink of this test file's own: nothing can
 * be deleted from a mock broker, so every test file starts from a fresh one (~10 ms). PostgreSQL comes from
 * createTestDatabase. `replaceableBroker` puts the broker behind a stable proxied address so it can be replaced.
 */
export async function startTestStack(
  options: { replaceableBroker?: boolean; smtp?: StartSmtpSinkOptions } = {},
): Promise<TestStack> {
  const broker: TestBroker = options.replaceableBroker
    ? await startReplaceableBroker({ topics: productTopics() })
    : await startMockBroker({ topics: productTopics() }).then((mock) => ({
        brokers: mock.brokers,
        pid: mock.pid,
        stop: () => mock.stop(),
        replace: () =>
          Promise.reject(new Error('start the test stack with replaceableBroker: true to replace its broker')),
      }));
  const registry = await startSchemaRegistry();
  const smtp = await startSmtpSink(options.smtp);
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
