import type { Database } from '@outflow/db';
import { notFound } from '../http/api-error.js';
import { defineRoute, type Route } from '../http/route.js';
import { idParams } from '../http/schemas.js';
import { inRequestWorkspace } from '../http/workspace.js';
import { findEmailWithHistory, listEmails } from './email.repository.js';
import { emailPage, emailWithHistory, listEmailsQuery } from './email.schema.js';

export function emailRoutes(deps: { db: Database }): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/emails',
      tag: 'Emails',
      summary: 'List emails',
      description: 'Oldest first, filtered by sequence and status; `next_cursor` pages on.',
      query: listEmailsQuery,
      responses: { 200: { description: 'A page of emails', schema: emailPage } },
      async handle({ query }, res) {
        res.json(
          await inRequestWorkspace(deps.db, res, (db) =>
            listEmails(db, {
              sequenceId: query.sequence_id,
              status: query.status,
              limit: query.limit,
              cursor: query.cursor,
            }),
          ),
        );
      },
    }),
    defineRoute({
      method: 'get',
      path: '/emails/{id}',
      tag: 'Emails',
      summary: 'Get an email with its history',
      description: 'Every delivery status change and every recorded event (sent, failed, retry scheduled, …).',
      params: idParams,
      responses: { 200: { description: 'The email', schema: emailWithHistory } },
      errors: [404],
      async handle({ params }, res) {
        const email = await inRequestWorkspace(deps.db, res, (db) => findEmailWithHistory(db, params.id));
        if (!email) throw notFound('email', params.id);
        res.json(email);
      },
    }),
  ];
}
