import { Kafka, logLevel } from 'kafkajs';
import type { KafkaCluster } from '@outflow/stack';
import type { FaultEnvironment } from './fault-environment.js';

// What the broker scenarios share: the cluster a scenario started for itself, and an admin client on it.

export function ownCluster(environment: FaultEnvironment): KafkaCluster {
  const cluster = environment.stack.broker.cluster;
  if (!cluster) throw new Error('a broker scenario needs a Kafka cluster of its own');
  return cluster;
}

export function admin(brokers: string[]) {
  return new Kafka({ clientId: 'fault-broker', brokers, logLevel: logLevel.NOTHING, retry: { retries: 10 } }).admin();
}
