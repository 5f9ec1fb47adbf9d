import type { Database } from '@outflow/db';
import { startWorkTrace } from '@outflow/telemetry';
import { ApiError, notFound } from '../http/api-error.js';
import { defineRoute, type Route } from '../http/route.js';
import { emailAddress, idParams, pagination } from '../http/schemas.js';
import { refuseZonesPostgresLacks } from '../http/time-zones.js';
import { inRequestWorkspace } from '../http/workspace.js';
import { enrollContacts, listEnrollments, unenrollContact } from './enrollment.repository.js';
import { enrollmentPage, enrollmentParams, enrollResult, enrollSchema, unenrollResult } from './enrollment.schema.js';

export function enrollmentRoutes(deps: { db: Database; daySeconds: number }): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/sequences/{id}/contacts',
      tag: 'Enrollments',
      summary: 'Enroll contacts in a sequence',
      description:
        'Up to 1 000 per request. New contacts are created; known ones (by address, case-insensitive) keep their ' +
        'stored values unless `update_contacts` is true. The first step is scheduled for each.',
      params: idParams,
      body: enrollSchema,
      idempotent: true,
      responses: { 201: { description: 'Enrolled', schema: enrollResult } },
      errors: [404],
      async handle({ params, body }, res) {
        const sequenceId = params.id;
        await refuseZonesPostgresLacks(
          deps.db,
          body.contacts.map((contact, index) => ({ path: `contacts.${index}.time_zone`, zone: contact.time_zone })),
        );
        const invalid = body.contacts.flatMap((contact, index) =>
          emailAddress.safeParse(contact.email).success
            ? []
            : [{ path: `contacts.${index}.email`, email: contact.email, message: 'is not a valid email address' }],
        );
        if (invalid.length > 0)
          throw new ApiError(400, 'invalid_request', `${invalid.length} invalid email address(es)`, invalid);
        const normalized = body.contacts.map((contact) => ({ ...contact, email: contact.email.trim() }));
        const result = await inRequestWorkspace(deps.db, res, (trx) =>
          enrollContacts(trx, sequenceId, normalized, {
            daySeconds: deps.daySeconds,
            updateContacts: body.update_contacts,
            // A trace per enrollment, linked to this request: one email's path, not the whole request's.
            traceFor: (enrollment) =>
              startWorkTrace('enroll', {
                'outflow.sequence_id': sequenceId,
                'outflow.sequence_contact_id': enrollment.id,
                'outflow.contact_id': enrollment.contact_id,
              }),
          }),
        );
        res.status(201).json(result);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/sequences/{id}/contacts',
      tag: 'Enrollments',
      summary: "List a sequence's enrollments",
      params: idParams,
      query: pagination,
      responses: { 200: { description: 'A page of enrollments', schema: enrollmentPage } },
      errors: [404],
      async handle({ params, query }, res) {
        const listed = await inRequestWorkspace(deps.db, res, (db) => listEnrollments(db, params.id, query));
        if (!listed) throw notFound('sequence', params.id);
        res.json(listed);
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/sequences/{id}/contacts/{contactId}',
      tag: 'Enrollments',
      summary: 'Unenroll a contact',
      description: 'Cancels its unsent emails and releases the capacity they had reserved.',
      params: enrollmentParams,
      responses: { 200: { description: 'Unenrolled', schema: unenrollResult } },
      errors: [404],
      async handle({ params }, res) {
        const result = await inRequestWorkspace(deps.db, res, (trx) =>
          unenrollContact(trx, params.id, params.contactId),
        );
        if (!result) throw notFound(`enrollment of contact ${params.contactId} in sequence`, params.id);
        res.json(result);
      },
    }),
  ];
}
