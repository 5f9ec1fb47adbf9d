import { Router } from 'express';
import { z } from '@outflow/config';
import type { Database } from '@outflow/db';
import { notFound } from '../http/api-error.js';
import { inRequestWorkspace } from '../http/workspace.js';
import { uuid } from '../http/schemas.js';
import { validate } from '../http/validate.js';
import { findEmailWithHistory, listEmails } from './email.repository.js';

const emailStatuses = [
  'scheduled',
  'queued',
  'sending',
  'retry_pending',
  'sent',
  'permanent_failure',
  'uncertain',
  'cancelled',
] as const;

const listQuery = z
  .object({
    sequence_id: uuid.optional(),
    status: z.enum(emailStatuses).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: uuid.optional(),
  })
  .strict();

export function emailRoutes(deps: { db: Database }): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const query = validate(listQuery, req.query, 'query');
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
  });
  router.get('/:id', async (req, res) => {
    const id = validate(uuid, req.params.id, 'email id');
    const email = await inRequestWorkspace(deps.db, res, (db) => findEmailWithHistory(db, id));
    if (!email) throw notFound('email', id);
    res.json(email);
  });
  return router;
}
