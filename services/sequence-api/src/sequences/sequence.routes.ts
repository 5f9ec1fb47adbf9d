import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Database } from '@outflow/db';
import { renderEmail, TemplateError } from '@outflow/templates';
import { ApiError, notFound } from '../http/api-error.js';
import { defineRoute, type Route } from '../http/route.js';
import { idParams } from '../http/schemas.js';
import { inRequestWorkspace } from '../http/workspace.js';
import {
  createdSequence,
  createSequenceSchema,
  listSequencesQuery,
  sequenceDetail,
  sequencePage,
} from './sequence.schema.js';
import {
  findSequenceDetail,
  findUnknownMailboxIds,
  insertSequence,
  listSequences,
  setSequenceStatus,
  type NewSequence,
} from './sequence.repository.js';

const sampleContact = {
  email: 'sample@example.com',
  first_name: 'Sam',
  last_name: 'Sample',
  company: 'Example',
  fields: {},
};

/** A template that cannot render would fail at send time, days later: each step is rendered once now. */
async function refuseStepsThatDoNotRender(steps: NewSequence['steps']): Promise<void> {
  const problems: Array<{ path: string; message: string }> = [];
  // Each step may take tens of milliseconds to parse (500 kB at most): other requests are served between steps.
  for (const [index, step] of steps.entries()) {
    if (index > 0) await yieldToEventLoop();
    try {
      await renderEmail({ subject: step.subject, content: step.content, format: step.content_format }, sampleContact, {
        strict: true,
      });
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      problems.push({ path: `steps.${index}.${error.part}`, message: error.message });
    }
  }
  if (problems.length > 0) throw new ApiError(400, 'invalid_request', 'a step does not render', problems);
}

export function sequenceRoutes(deps: { db: Database }): Route[] {
  const statusChange = (action: 'pause' | 'resume', status: 'active' | 'paused', summary: string) =>
    defineRoute({
      method: 'post',
      path: `/sequences/{id}/${action}`,
      tag: 'Sequences',
      summary,
      params: idParams,
      responses: { 200: { description: 'The sequence', schema: sequenceDetail } },
      errors: [404],
      async handle({ params }, res) {
        const changed = await inRequestWorkspace(deps.db, res, async (trx) =>
          (await setSequenceStatus(trx, params.id, status)) ? findSequenceDetail(trx, params.id) : undefined,
        );
        if (!changed) throw notFound('sequence', params.id);
        res.json(changed);
      },
    });

  return [
    defineRoute({
      method: 'post',
      path: '/sequences',
      tag: 'Sequences',
      summary: 'Create a sequence',
      description: 'Its steps are numbered from 1 in the order given; each must render with a sample contact.',
      body: createSequenceSchema,
      idempotent: true,
      responses: { 201: { description: 'Created', schema: createdSequence } },
      async handle({ body }, res) {
        const unknown = await inRequestWorkspace(deps.db, res, (db) => findUnknownMailboxIds(db, body.mailbox_ids));
        if (unknown.length > 0) {
          throw new ApiError(
            400,
            'invalid_request',
            'unknown mailbox ids',
            unknown.map((id) => ({ path: 'mailbox_ids', message: `no mailbox ${id}` })),
          );
        }
        await refuseStepsThatDoNotRender(body.steps);
        // Checked again by the insert's policy: a mailbox of another workspace cannot be linked even by a race.
        res.status(201).json(await inRequestWorkspace(deps.db, res, (trx) => insertSequence(trx, body)));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/sequences',
      tag: 'Sequences',
      summary: 'List sequences',
      description: 'Oldest first, optionally of one status; `next_cursor` pages on.',
      query: listSequencesQuery,
      responses: { 200: { description: 'A page of sequences', schema: sequencePage } },
      async handle({ query }, res) {
        res.json(await inRequestWorkspace(deps.db, res, (db) => listSequences(db, query)));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/sequences/{id}',
      tag: 'Sequences',
      summary: 'Get a sequence',
      description: 'With its steps, mailboxes, enrollments by status and emails by delivery status.',
      params: idParams,
      responses: { 200: { description: 'The sequence', schema: sequenceDetail } },
      errors: [404],
      async handle({ params }, res) {
        const sequence = await inRequestWorkspace(deps.db, res, (db) => findSequenceDetail(db, params.id));
        if (!sequence) throw notFound('sequence', params.id);
        res.json(sequence);
      },
    }),
    statusChange('pause', 'paused', 'Pause a sequence (nothing more is claimed for sending until resumed)'),
    statusChange('resume', 'active', 'Resume a paused sequence'),
  ];
}
