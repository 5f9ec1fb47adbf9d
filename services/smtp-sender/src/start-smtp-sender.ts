import { secretBoxFromEnv, unsubscribeTokens, type z } from '@outflow/config';
import { consumerGroupOf } from '@outflow/contracts';
import { smtpTargetPolicyFromEnv } from '@outflow/smtp-target';
import { startConsumerLoop, startOutboxRelay } from '@outflow/kafka';
import type { ServiceContext, ServiceParts } from '@outflow/service-kit';
import type { smtpSenderEnv } from './config.js';
import { recordDeadLetteredJob } from './sending/dead-lettered-job.js';
import { handleEmailJob } from './sending/email-job.handler.js';
import { createSendMetrics } from './sending/send-metrics.js';
import { createSendStatements } from './sending/send-statements.js';
import { createTransportPool } from './smtp/transport-pool.js';

export type SmtpSenderConfig = z.infer<z.ZodObject<typeof smtpSenderEnv>>;

export async function startSmtpSender(
  { config, logger, infra, metrics }: ServiceContext<SmtpSenderConfig>,
  onFatal: (error: Error) => void,
): Promise<ServiceParts> {
  const secrets = secretBoxFromEnv(config);
  const transports = createTransportPool({
    secrets,
    poolSize: config.SMTP_POOL_SIZE,
    maxConnections: config.SMTP_MAX_CONNECTIONS,
    timeoutMs: config.SMTP_TIMEOUT_MS,
    mode: config.OUTFLOW_MODE,
    targets: smtpTargetPolicyFromEnv(config),
    ...(config.SMTP_CA_FILE ? { ca: config.SMTP_CA_FILE } : {}),
  });
  const statements = createSendStatements({
    db: infra.db,
    producer: infra.producer,
    leaseMs: config.SEND_LEASE_MS,
    maxBatch: config.SENDER_BATCH_SIZE,
  });
  if (!config.OUTFLOW_PUBLIC_URL) {
    logger.warn(
      'OUTFLOW_PUBLIC_URL is not set: emails offer only a mailto unsubscribe, no one-click link (Gmail and Yahoo ' +
        'require one from bulk senders)',
    );
  }
  const deps = {
    db: infra.db,
    unsubscribe: {
      tokens: unsubscribeTokens(config.OUTFLOW_SECRET_KEYS, secrets.activeKeyId),
      publicUrl: config.OUTFLOW_PUBLIC_URL,
    },
    statements,
    transports,
    logger,
    leaseMs: config.SEND_LEASE_MS,
    metrics: createSendMetrics(metrics),
  };
  const loop = await startConsumerLoop({
    kafka: infra.kafka,
    codec: infra.codec,
    producer: infra.producer,
    logger,
    groupId: consumerGroupOf['email-jobs'],
    topic: 'email-jobs',
    partitionsConsumedConcurrently: config.SENDER_CONCURRENCY,
    // Emails of one partition do not depend on each other's order; their statements coalesce into batches.
    messageConcurrency: config.SENDER_MESSAGE_CONCURRENCY,
    maxBytesPerPartition: config.SENDER_FETCH_BYTES_PER_PARTITION,
    handle: (message) => handleEmailJob(deps, message),
    onDeadLetter: (info) => recordDeadLetteredJob(deps, info),
    onFatal,
    metrics,
  });
  // Publishes follow-up and retry events whose writer died between its commit and its produce.
  const relay = startOutboxRelay({ db: infra.db, producer: infra.producer, logger, metrics });
  return {
    intake: [
      { name: 'email-jobs-consumer', stop: () => loop.stop() },
      relay,
      { name: 'smtp-transports', stop: async () => transports.closeAll() },
    ],
  };
}
