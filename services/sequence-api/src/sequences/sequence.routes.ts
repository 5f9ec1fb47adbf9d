import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Router } from 'express';
import type { Database } from '@outflow/db';
import { renderEmail, TemplateError } from '@outflow/templates';
import { ApiError, notFound } from '../http/api-error.js';
import { uuid } from '../http/schemas.js';
import { validate } from '../http/validate.js';
import { inRequestWorkspace } from '../http/workspace.js';
import { createSequenceSchema } from './sequence.schema.js';
import { findSequenceDetail, findUnknownMailboxIds, insertSequence, setSequenceStatus } from './sequence.repository.js';

const sampleContact = {
  email: 'sample@example.com',
  first_name: 'Sam',
  last_name: 'Sample',
  company: 'Example',
  fields: {},
};

export function sequenceRoutes(deps: { db: Database }): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const body = validate(createSequenceSchema, req.body);
    const unknown = await inRequestWorkspace(deps.db, res, (db) => findUnknownMailboxIds(db, body.mailbox_ids));
    if (unknown.length > 0) {
      throw new ApiError(
        400,
        'invalid_request',
        'unknown mailbox ids',
        unknown.map((id) => ({ path: 'mailbox_ids', message: `no mailbox ${id}` })),
      );
    }
    // A template that cannot render would fail at send time, days later: reject it now. Each step may take tens
    // of milliseconds to parse (500 kB at most): other requests are served between steps.
    const problems: Array<{ path: string; message: string }> = [];
    for (const [index, step] of body.steps.entries()) {
      if (index > 0) await yieldToEventLoop();
      try {
        await renderEmail(
          { subject: step.subject, content: step.content, format: step.content_format },
          sampleContact,
          {
            strict: true,
          },
        );
      } catch (error) {
        if (!(error instanceof TemplateError)) throw error;
        problems.push({ path: `steps.${index}.${error.part}`, message: error.message });
      }
    }
    if (problems.length > 0) throw new ApiError(400, 'invalid_request', 'a step does not render', problems);
    // Checked again by the insert's policy: a mailbox of another workspace cannot be linked even by a race.
    res.status(201).json(await inRequestWorkspace(deps.db, res, (trx) => insertSequence(trx, body)));
  });

  router.get('/:id', async (req, res) => {
    const id = validate(uuid, req.params.id, 'sequence id');
    const sequence = await inRequestWorkspace(deps.db, res, (db) => findSequenceDetail(db, id));
    if (!sequence) throw notFound('sequence', id);
    res.json(sequence);
  });

  for (const [action, status] of [
    ['pause', 'paused'],
    ['resume', 'active'],
  ] as const) {
    router.post(`/:id/${action}`, async (req, res) => {
      const id = validate(uuid, req.params.id, 'sequence id');
      const changed = await inRequestWorkspace(deps.db, res, async (trx) =>
        (await setSequenceStatus(trx, id, status)) ? findSequenceDetail(trx, id) : undefined,
      );
      if (!changed) throw notFound('sequence', id);
      res.json(changed);
    });
  }

  return router;
}
