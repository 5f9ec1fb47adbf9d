import { Router } from 'express';
import type { Database } from '@outflow/db';
import { ApiError, notFound } from '../http/api-error.js';
import { emailAddress, pagination, uuid } from '../http/schemas.js';
import { validate } from '../http/validate.js';
import { enrollContacts, listEnrollments, unenrollContact } from './enrollment.repository.js';
import { enrollSchema } from './enrollment.schema.js';

export function enrollmentRoutes(deps: { db: Database; daySeconds: number }): Router {
  const router = Router({ mergeParams: true });

  router.post('/', async (req, res) => {
    const sequenceId = validate(uuid, (req.params as Record<string, string>)['id'], 'sequence id');
    const { contacts } = validate(enrollSchema, req.body);
    const invalid = contacts.flatMap((contact, index) =>
      emailAddress.safeParse(contact.email).success
        ? []
        : [{ path: `contacts.${index}.email`, email: contact.email, message: 'is not a valid email address' }],
    );
    if (invalid.length > 0)
      throw new ApiError(400, 'invalid_request', `${invalid.length} invalid email address(es)`, invalid);
    const normalized = contacts.map((contact) => ({ ...contact, email: contact.email.trim() }));
    res.status(201).json(await enrollContacts(deps.db, sequenceId, normalized, deps.daySeconds));
  });

  router.get('/', async (req, res) => {
    const sequenceId = validate(uuid, (req.params as Record<string, string>)['id'], 'sequence id');
    const page = validate(pagination, req.query, 'query');
    const exists = await deps.db.selectFrom('sequences').select('id').where('id', '=', sequenceId).executeTakeFirst();
    if (!exists) throw notFound('sequence', sequenceId);
    res.json(await listEnrollments(deps.db, sequenceId, page));
  });

  router.delete('/:contactId', async (req, res) => {
    const params = req.params as Record<string, string>;
    const sequenceId = validate(uuid, params['id'], 'sequence id');
    const contactId = validate(uuid, params['contactId'], 'contact id');
    const result = await unenrollContact(deps.db, sequenceId, contactId);
    if (!result) throw notFound(`enrollment of contact ${contactId} in sequence`, sequenceId);
    res.json(result);
  });

  return router;
}
