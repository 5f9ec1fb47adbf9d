import { liftSuppression, suppressAddress, type Database } from '@outflow/db';
import { notFound } from '../http/api-error.js';
import { defineRoute, type Route } from '../http/route.js';
import { inRequestWorkspace, requestWorkspace } from '../http/workspace.js';
import { listSuppressions } from './suppression.repository.js';
import {
  emailParams,
  liftedSuppression,
  listSuppressionsQuery,
  suppressionPage,
  suppressResult,
  suppressSchema,
} from './suppression.schema.js';

export function suppressionRoutes(deps: { db: Database }): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/suppressions',
      tag: 'Suppressions',
      summary: 'Suppress an address: never write to it again',
      description:
        'Stops, in the same transaction, every active enrollment of the contact with this address (their unsent ' +
        'emails cancelled); enrollments skip it from now on, and the sender cancels an email to it that was ' +
        'already queued. An address suppressed already keeps its first reason (200, `created: false`).',
      body: suppressSchema,
      responses: {
        201: { description: 'Suppressed', schema: suppressResult },
        200: { description: 'Suppressed already', schema: suppressResult },
      },
      async handle({ body }, res) {
        const workspaceId = requestWorkspace(res);
        const result = await inRequestWorkspace(deps.db, res, (trx) =>
          suppressAddress(trx, { workspaceId, email: body.email, reason: body.reason, note: body.note }),
        );
        res.status(result.created ? 201 : 200).json(result);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/suppressions',
      tag: 'Suppressions',
      summary: "List the workspace's suppressed addresses",
      query: listSuppressionsQuery,
      responses: { 200: { description: 'A page of suppressions', schema: suppressionPage } },
      async handle({ query }, res) {
        res.json(await inRequestWorkspace(deps.db, res, (db) => listSuppressions(db, query)));
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/suppressions/{email}',
      tag: 'Suppressions',
      summary: 'Lift a suppression',
      description:
        'The address may be enrolled again; enrollments the suppression ended stay ended. A contact whose status ' +
        'came from an unsubscribe or a bounce is active again.',
      params: emailParams,
      responses: { 200: { description: 'Lifted', schema: liftedSuppression } },
      errors: [404],
      async handle({ params }, res) {
        const workspaceId = requestWorkspace(res);
        const lifted = await inRequestWorkspace(deps.db, res, (trx) => liftSuppression(trx, workspaceId, params.email));
        if (!lifted) throw notFound('suppression of', params.email);
        res.json({ email: params.email, lifted: true });
      },
    }),
  ];
}
