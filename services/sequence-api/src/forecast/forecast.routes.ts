import type { Database } from '@outflow/db';
import { notFound } from '../http/api-error.js';
import { defineRoute, type Route } from '../http/route.js';
import { idParams } from '../http/schemas.js';
import { inRequestWorkspace } from '../http/workspace.js';
import { enrollmentParams } from '../enrollments/enrollment.schema.js';
import { forecastEnrollment, forecastSequence } from './forecast.js';
import { enrollmentForecast, forecastQuery, sequenceForecast } from './forecast.schema.js';

export function forecastRoutes(deps: { db: Database; daySeconds: number }): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/sequences/{id}/forecast',
      tag: 'Forecast',
      summary: "When the sequence's waiting emails are expected to go",
      description:
        "Each mailbox's queue is played forward as the producer claims it: in due order, within each local day's " +
        'capacity (on a warm-up ramp, its day’s), a paced mailbox one at a time with its gap (plus half its ' +
        'jitter) between, emails of other sequences taking their turn. It assumes nothing new is queued ahead and ' +
        'every send succeeds.',
      params: idParams,
      query: forecastQuery,
      responses: { 200: { description: 'The forecast', schema: sequenceForecast } },
      errors: [404],
      async handle({ params, query }, res) {
        const forecast = await inRequestWorkspace(deps.db, res, (db) =>
          forecastSequence(db, params.id, { daySeconds: deps.daySeconds, limit: query.limit }),
        );
        if (!forecast) throw notFound('sequence', params.id);
        res.json(forecast);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/sequences/{id}/contacts/{contactId}/forecast',
      tag: 'Forecast',
      summary: 'When each step of an enrollment went or is expected to go',
      description:
        'A sent step: when it was sent. The waiting one: as its mailbox’s queue forecast says (see the sequence ' +
        'forecast). Each later step: its wait after the one before and its send window, in the recipient’s time ' +
        'zone, as the follow-up scheduler will schedule it.',
      params: enrollmentParams,
      responses: { 200: { description: 'The forecast', schema: enrollmentForecast } },
      errors: [404],
      async handle({ params }, res) {
        const forecast = await inRequestWorkspace(deps.db, res, (db) =>
          forecastEnrollment(db, params.id, params.contactId, deps.daySeconds),
        );
        if (!forecast) throw notFound(`enrollment of contact ${params.contactId} in sequence`, params.id);
        res.json(forecast);
      },
    }),
  ];
}
