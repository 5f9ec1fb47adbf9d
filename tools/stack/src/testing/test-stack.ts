import { randomBytes } from 'node:crypto';
import { physicalTopic, topicContracts, topicNames } from '@outflow/contracts';
import { createKafkaTopics, deleteKafkaTopics, type TopicSpec } from '../kafka/kafka-admin.js';
import { startKafkaCluster, type KafkaCluster } from '../kafka/kafka-cluster.js';
import { startSchemaRegistry, type SchemaRegistryServer } from '../schema-registry-server.js';
import { startSmtpSink, type SmtpSink, type StartSmtpSinkOptions } from '../smtp-sink.js';

/** The product's topics with their partition counts, as the stack creates them. */
export function productTopics(prefix = ''): TopicSpec[] {
  return topicNames.map((topic) => ({
    name: physicalTopic(topic, prefix),
    partitions: topicContracts[topic].partitions,
  }));
}

/** Set by the jest global setup: the Kafka cluster every test file shares (each under its own name prefix). */
export const sharedTestBrokersVariable = 'OUTFLOW_TEST_KAFKA_BROKERS';

interface TestBroker {
  /** KAFKA_BROKERS for clients. */
  brokers: string[];
  /**
   * The cluster this stack started, or the caller's `cluster` (read-only use: its node pids); absent on the shared
   * test cluster, which no test may kill or pause.
   */
  cluster?: KafkaCluster;
  /**
   * Kills the cluster and starts it again empty at the same addresses, with the product topics (total data loss).
   * Only for a stack started with its own broker.
   */
  replace(): Promise<void>;
  stop(): Promise<void>;
}

export interface TestStack {
  broker: TestBroker;
  /**
   * KAFKA_TOPIC_PREFIX for this stack's clients and services: unique per stack on the shared cluster, so test files
   * running side by side have their own topics and consumer groups; '' on a cluster of its own.
   */
  topicPrefix: string;
  registry: SchemaRegistryServer;
  smtp: SmtpSink;
  close(): Promise<void>;
}

export interface StartTestStackOptions {
  /**
   * A Kafka cluster of this stack's own, for tests that kill, pause or replace it: 1 or 3 nodes. Default: the
   * shared test cluster when the jest global setup started one, else an own single node.
   */
  ownBroker?: 1 | 3;
  /**
   * A cluster the caller started and keeps running across stacks (the bench's, warm like a broker that has been up
   * for days): this stack's topics are created on it under a fresh prefix and deleted on close; the cluster is not
   * stopped. Not with `ownBroker`.
   */
  cluster?: KafkaCluster;
  smtp?: StartSmtpSinkOptions;
  /** Called when a node of an own cluster dies without being told to. */
  onBrokerCrash?: (reason: string) => void;
}

/**
 * Kafka with the product topics (under a fresh prefix on the shared test cluster, or on a cluster of its own), a
 * schema registry and an SMTP sink of this test file's own. PostgreSQL comes from createTestDatabase.
 */
export async function startTestStack(options: StartTestStackOptions = {}): Promise<TestStack> {
  const shared = process.env[sharedTestBrokersVariable];
  let broker: TestBroker;
  let topicPrefix = '';
  if (options.cluster && options.ownBroker) throw new Error('startTestStack takes cluster or ownBroker, not both');
  if (options.cluster) {
    const { cluster } = options;
    topicPrefix = `r${randomBytes(5).toString('hex')}.`;
    const topics = productTopics(topicPrefix);
    await createKafkaTopics(cluster.brokers, topics);
    broker = {
      brokers: cluster.brokers,
      cluster,
      replace: () => Promise.reject(new Error("a stack on the caller's cluster cannot replace it")),
      stop: () =>
        deleteKafkaTopics(
          cluster.brokers,
          topics.map((topic) => topic.name),
        ),
    };
  } else if (shared && !options.ownBroker) {
    const brokers = shared.split(',');
    topicPrefix = `t${randomBytes(5).toString('hex')}.`;
    await createKafkaTopics(brokers, productTopics(topicPrefix));
    broker = {
      brokers,
      replace: () => Promise.reject(new Error('start the test stack with ownBroker to replace its broker')),
      stop: async () => undefined,
    };
  } else {
    const cluster = await startKafkaCluster({
      nodes: options.ownBroker ?? 1,
      topics: productTopics(),
      ...(options.onBrokerCrash ? { onCrash: options.onBrokerCrash } : {}),
    });
    broker = {
      brokers: cluster.brokers,
      cluster,
      replace: () => cluster.wipe(productTopics()),
      stop: () => cluster.stop(),
    };
  }
  const registry = await startSchemaRegistry();
  const smtp = await startSmtpSink(options.smtp);
  return {
    broker,
    topicPrefix,
    registry,
    smtp,
    async close() {
      await smtp.stop();
      await registry.stop();
      await broker.stop();
    },
  };
}
