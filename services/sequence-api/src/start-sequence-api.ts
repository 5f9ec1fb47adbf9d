import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { secretBoxFromEnv, unsubscribeTokens, type z } from '@outflow/config';
import { smtpTargetPolicyFromEnv } from '@outflow/smtp-target';
import type { ServiceContext, ServiceParts } from '@outflow/service-kit';
import { createApp } from './app.js';
import type { sequenceApiEnv } from './config.js';

export type SequenceApiConfig = z.infer<z.ZodObject<typeof sequenceApiEnv>>;

export async function startSequenceApi({
  config,
  logger,
  infra,
}: ServiceContext<SequenceApiConfig>): Promise<ServiceParts> {
  const secrets = secretBoxFromEnv(config);
  const app = createApp({
    db: infra.db,
    secrets,
    unsubscribeTokens: unsubscribeTokens(config.OUTFLOW_SECRET_KEYS, secrets.activeKeyId),
    logger,
    daySeconds: config.OUTFLOW_DAY_SECONDS,
    mode: config.OUTFLOW_MODE,
    smtpTargets: smtpTargetPolicyFromEnv(config),
    rateLimitPerMinute: config.API_RATE_LIMIT_PER_MINUTE,
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(config.API_PORT, config.API_HOST, (error?: Error) =>
      error ? reject(error) : resolve(listening),
    );
  });
  const { port } = server.address() as AddressInfo;
  logger.info({ apiPort: port, url: `http://${config.API_HOST}:${port}/api/v1` }, 'API listening');
  return {
    intake: [
      {
        name: 'http-server',
        // Stop accepting, let requests in progress finish, then drop idle keep-alive connections.
        stop: () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeIdleConnections();
          }),
      },
    ],
  };
}
