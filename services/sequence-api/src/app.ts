import express, { type Express } from 'express';
import type { OutflowMode, SecretBox, UnsubscribeTokens } from '@outflow/config';
import type { Database } from '@outflow/db';
import type { SmtpTargetPolicy } from '@outflow/smtp-target';
import type { Logger } from '@outflow/telemetry';
import { contactRoutes } from './contacts/contact.routes.js';
import { emailRoutes } from './emails/email.routes.js';
import { forecastRoutes } from './forecast/forecast.routes.js';
import { enrollmentRoutes } from './enrollments/enrollment.routes.js';
import { requireApiKey, requireScope } from './http/auth.js';
import { createErrorHandler, notFoundHandler } from './http/error-handler.js';
import { idempotencyKeys } from './http/idempotency.js';
import { rateLimitPerKey } from './http/rate-limit.js';
import { routerOf, type Route } from './http/route.js';
import { mailboxImapRoutes } from './mailboxes/mailbox-imap.routes.js';
import { mailboxRoutes } from './mailboxes/mailbox.routes.js';
import { docsPage } from './openapi/docs-page.js';
import { openApiDocument } from './openapi/openapi-document.js';
import { sequenceRoutes } from './sequences/sequence.routes.js';
import { statsRoutes } from './stats/stats.routes.js';
import { unsubscribeRoutes } from './unsubscribe/unsubscribe.routes.js';
import { suppressionRoutes } from './suppressions/suppression.routes.js';

export interface AppDeps {
  db: Database;
  secrets: SecretBox;
  /** Reads the unsubscribe links' tokens (made by the sender under the same OUTFLOW_SECRET_KEYS). */
  unsubscribeTokens: UnsubscribeTokens;
  logger: Logger;
  daySeconds: number;
  /** Default production: mailboxes may not opt out of TLS for their credentials. */
  mode?: OutflowMode;
  /** Which SMTP hosts and ports mailboxes may be saved with. */
  smtpTargets: SmtpTargetPolicy;
  /** Requests per API key per minute (per API process). Default 1 200. */
  rateLimitPerMinute?: number;
}

/** Every endpoint under /api/v1 (beside the public document and docs page). */
function apiRoutes(deps: AppDeps): Route[] {
  return [
    ...mailboxRoutes(deps),
    ...mailboxImapRoutes(deps),
    ...sequenceRoutes(deps),
    ...enrollmentRoutes(deps),
    ...forecastRoutes(deps),
    ...contactRoutes(deps),
    ...emailRoutes(deps),
    ...statsRoutes(deps),
    ...suppressionRoutes(deps),
  ];
}

/** The API as an express app without a listener, so tests mount it on any port. */
export function createApp(deps: AppDeps): Express {
  const routes = apiRoutes(deps);
  const document = openApiDocument(routes);
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(express.json({ limit: '2mb' }));
  // Public: they describe the API and hold no data.
  app.get('/api/v1/openapi.json', (_req, res) => {
    res.json(document);
  });
  app.use(docsPage('/api/v1/docs', '/api/v1/openapi.json'));
  app.use(unsubscribeRoutes({ db: deps.db, tokens: deps.unsubscribeTokens }));
  const api = express.Router();
  api.use(requireApiKey(deps.db));
  api.use(rateLimitPerKey(deps.rateLimitPerMinute ?? 1_200));
  api.use(requireScope());
  api.use(routerOf(routes, idempotencyKeys(deps.db, deps.logger)));
  app.use('/api/v1', api);
  app.use(notFoundHandler);
  app.use(createErrorHandler(deps.logger));
  return app;
}
