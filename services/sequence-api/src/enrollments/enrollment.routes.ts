import { Router } from 'express';
import type { Database } from '@outflow/db';
import { ApiError, notFound } from '../http/api-error.js';
import { emailAddress, pagination, uuid } from '../http/schemas.js';
import { validate } from '../http/validate.js';
import { inRequestWorkspace } from '../http/workspace.js';
import { startWorkTrace } from '@outflow/telemetry';
import { enrollContacts, listEnrollments, unenrollContact } from './enrollment.repository.js';
import { enrollSchema } from './enrollment.schema.js';

export function enrollmentRoutes(deps: { db: Database; daySeconds: number }): Router {
  const router = Router({ mergeParams: true });

  router.post('/', async (req, res) => {
    const sequenceId = validate(uuid, (req.params as Record<string, string>)['id'], 'sequence id');
    const { contacts, update_contacts } = validate(enrollSchema, req.body);
    const invalid = contacts.flatMap((contact, index) =>
      emailAddress.safeParse(contact.email).success
        ? []
        : [{ path: `contacts.${index}.email`, email: contact.email, message: 'is not a valid email address' }],
    );
    if (invalid.length > 0)
      throw new ApiError(400, 'invalid_request', `${invalid.length} invalid email address(es)`, invalid);
    const normalized = contacts.map((contact) => ({ ...contact, email: contact.email.trim() }));
    const result = await inRequestWorkspace(deps.db, res, (trx) =>
      enrollContacts(trx, sequenceId, normalized, {
        daySeconds: deps.daySeconds,
        updateContacts: update_contacts,
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
  });

  router.get('/', async (req, res) => {
    const sequenceId = validate(uuid, (req.params as Record<string, string>)['id'], 'sequence id');
    const page = validate(pagination, req.query, 'query');
    const listed = await inRequestWorkspace(deps.db, res, (db) => listEnrollments(db, sequenceId, page));
    if (!listed) throw notFound('sequence', sequenceId);
    res.json(listed);
  });

  router.delete('/:contactId', async (req, res) => {
    const params = req.params as Record<string, string>;
    const sequenceId = validate(uuid, params['id'], 'sequence id');
    const contactId = validate(uuid, params['contactId'], 'contact id');
    const result = await inRequestWorkspace(deps.db, res, (trx) => unenrollContact(trx, sequenceId, contactId));
    if (!result) throw notFound(`enrollment of contact ${contactId} in sequence`, sequenceId);
    res.json(result);
  });

  return router;
}
