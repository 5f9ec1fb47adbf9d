import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Database } from '@outflow/db';
import { renderEmail, stepSubject, TemplateError } from '@outflow/templates';
import { ApiError, notFound } from '../http/api-error.js';
import { defineRoute, type Route } from '../http/route.js';
import { idParams } from '../http/schemas.js';
import { refuseZonesPostgresLacks } from '../http/time-zones.js';
import { inRequestWorkspace } from '../http/workspace.js';
import { archiveSequence, deleteSequence } from './sequence-lifecycle.repository.js';
import {
  createNextVersion,
  findSequenceVersion,
  listSequenceVersions,
  moveEnrollments,
} from './sequence-version.repository.js';
import {
  archivedSequence,
  archiveSchema,
  createdSequence,
  createSequenceSchema,
  deletedSequence,
  listSequencesQuery,
  movedEnrollments,
  moveEnrollmentsSchema,
  sequenceDetail,
  sequencePage,
  sequenceVersion,
  updateSequenceSchema,
  versionList,
  versionParams,
} from './sequence.schema.js';
import {
  findSequenceDetail,
  findUnknownMailboxIds,
  insertSequence,
  listSequences,
  sendWindowColumns,
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
      const subject = stepSubject(step.subject ?? null, steps[0]?.subject ?? null);
      await renderEmail({ subject, content: step.content, format: step.content_format }, sampleContact, {
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
        await refuseZonesPostgresLacks(deps.db, [{ path: 'time_zone', zone: body.time_zone }]);
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
    statusChange('resume', 'active', 'Resume a paused or archived sequence'),
    defineRoute({
      method: 'patch',
      path: '/sequences/{id}',
      tag: 'Sequences',
      summary: 'Edit a sequence: makes its next version',
      description:
        'Name, flags and steps (all of them, when given) become a new version, which new enrollments follow ' +
        '(`reply_stops`, `time_zone`, `send_window` and `wait_unit` change the sequence itself, no version; emails ' +
        'already scheduled keep their time). ' +
        'Enrollments already made stay on their version until moved (move-enrollments); emails already ' +
        'scheduled keep the content they were scheduled with.',
      params: idParams,
      body: updateSequenceSchema,
      responses: { 200: { description: 'The sequence at its new version', schema: sequenceDetail } },
      errors: [404],
      async handle({ params, body: { reply_stops, time_zone, send_window, wait_unit, ...versioned } }, res) {
        if (versioned.steps) await refuseStepsThatDoNotRender(versioned.steps);
        await refuseZonesPostgresLacks(deps.db, [{ path: 'time_zone', zone: time_zone }]);
        // The sequence's own settings change in place; content makes a version.
        const settings = {
          ...(reply_stops === undefined ? {} : { reply_stops }),
          ...(time_zone === undefined ? {} : { time_zone }),
          ...(wait_unit === undefined ? {} : { wait_unit }),
          ...sendWindowColumns(send_window),
        };
        const edited = await inRequestWorkspace(deps.db, res, async (trx) => {
          if (Object.keys(settings).length > 0) {
            const set = await trx.updateTable('sequences').set(settings).where('id', '=', params.id).executeTakeFirst();
            if (set.numUpdatedRows === 0n) return undefined;
          }
          if (Object.keys(versioned).length > 0 && !(await createNextVersion(trx, params.id, versioned)))
            return undefined;
          return findSequenceDetail(trx, params.id);
        });
        if (!edited) throw notFound('sequence', params.id);
        res.json(edited);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/sequences/{id}/versions',
      tag: 'Sequences',
      summary: "List a sequence's versions",
      description: 'Newest first, each with its step count and the enrollments that follow it.',
      params: idParams,
      responses: { 200: { description: 'The versions', schema: versionList } },
      errors: [404],
      async handle({ params }, res) {
        const versions = await inRequestWorkspace(deps.db, res, (db) => listSequenceVersions(db, params.id));
        if (!versions) throw notFound('sequence', params.id);
        res.json(versions);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/sequences/{id}/versions/{version}',
      tag: 'Sequences',
      summary: 'Get one version of a sequence with its steps',
      params: versionParams,
      responses: { 200: { description: 'The version', schema: sequenceVersion } },
      errors: [404],
      async handle({ params }, res) {
        const version = await inRequestWorkspace(deps.db, res, (db) =>
          findSequenceVersion(db, params.id, params.version),
        );
        if (!version) throw notFound(`version ${params.version} of sequence`, params.id);
        res.json(version);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/sequences/{id}/move-enrollments',
      tag: 'Sequences',
      summary: 'Move active enrollments to another version',
      description:
        'Their next steps come from that version, by step number; an email already scheduled keeps its ' +
        'content. An enrollment on a step its new version does not go past completes once that step is sent.',
      params: idParams,
      body: moveEnrollmentsSchema,
      responses: { 200: { description: 'Moved', schema: movedEnrollments } },
      errors: [404],
      async handle({ params, body }, res) {
        const moved = await inRequestWorkspace(deps.db, res, async (trx) => {
          const sequence = await findSequenceDetail(trx, params.id);
          if (!sequence) throw notFound('sequence', params.id);
          const to = body.to_version ?? sequence.version;
          const count = await moveEnrollments(trx, params.id, {
            from: body.from_version,
            to,
            contactIds: body.contact_ids,
          });
          if (count === undefined) throw notFound(`version ${to} of sequence`, params.id);
          return { moved: count, to_version: to };
        });
        res.json(moved);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/sequences/{id}/archive',
      tag: 'Sequences',
      summary: 'Archive a sequence: no new enrollments, nothing more sent',
      description:
        'Refused (409 sequence_in_flight, with the counts) while enrollments are active, unless ' +
        '`cancel_in_flight` cancels them and their unsent emails in the same transaction. Resume undoes it.',
      params: idParams,
      body: archiveSchema,
      responses: { 200: { description: 'Archived', schema: archivedSequence } },
      errors: [404, 409],
      async handle({ params, body }, res) {
        const archived = await inRequestWorkspace(deps.db, res, (trx) =>
          archiveSequence(trx, params.id, body.cancel_in_flight),
        );
        if (!archived) throw notFound('sequence', params.id);
        res.json({ id: params.id, status: 'archived', ...archived });
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/sequences/{id}',
      tag: 'Sequences',
      summary: 'Delete a sequence with nothing in flight',
      description:
        'Deletes it with its versions, enrollments and emails; the events of its emails stay, unlinked, in the ' +
        'counts over time. Refused (409 sequence_in_flight) while anything is unsent or uncertain: archive it ' +
        'with cancel_in_flight first. To keep its history, archive it instead.',
      params: idParams,
      responses: { 200: { description: 'Deleted', schema: deletedSequence } },
      errors: [404, 409],
      async handle({ params }, res) {
        const deleted = await inRequestWorkspace(deps.db, res, (trx) => deleteSequence(trx, params.id));
        if (!deleted) throw notFound('sequence', params.id);
        res.json({ id: params.id, deleted: true });
      },
    }),
  ];
}
