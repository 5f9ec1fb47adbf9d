import { httpUrl, kafkaBrokers, kafkaEnv, parseEnv } from '@outflow/config';
import {
  assertKafkaReachable,
  createKafka,
  createSchemaCodec,
  type KafkaHandle,
  type SchemaCodec,
} from '@outflow/kafka';
import { createLogger } from '@outflow/telemetry';

/** The cluster at KAFKA_BROKERS, under KAFKA_TOPIC_PREFIX (the services' own prefix); no database needed. */
export async function connectKafka(): Promise<KafkaHandle> {
  const config = parseEnv({ KAFKA_BROKERS: kafkaBrokers, KAFKA_TOPIC_PREFIX: kafkaEnv.KAFKA_TOPIC_PREFIX });
  await assertKafkaReachable(config.KAFKA_BROKERS);
  return createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: 'outflow-cli',
    // Failures are thrown and printed; kafkajs's own chatter would only mix into the output.
    logger: createLogger({ service: 'outflow-cli', level: 'silent' }),
    namePrefix: config.KAFKA_TOPIC_PREFIX,
  });
}

/** The messages' schemas, from the registry at SCHEMA_REGISTRY_URL. */
export function schemaCodecFromEnv(): SchemaCodec {
  const { SCHEMA_REGISTRY_URL } = parseEnv({ SCHEMA_REGISTRY_URL: httpUrl });
  return createSchemaCodec({ registryUrl: SCHEMA_REGISTRY_URL });
}
