import type { Database } from '@outflow/db';
import { notFound } from '../http/api-error.js';
import { defineRoute, type Route } from '../http/route.js';
import { idParams } from '../http/schemas.js';
import { refuseZonesPostgresLacks } from '../http/time-zones.js';
import { inRequestWorkspace } from '../http/workspace.js';
import { eraseContact, findContactDetail, listContacts, updateContact } from './contact.repository.js';
import { contactDetail, contactPage, erasedContact, listContactsQuery, updateContactSchema } from './contact.schema.js';

export function contactRoutes(deps: { db: Database }): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/contacts',
      tag: 'Contacts',
      summary: 'List and search contacts',
      description: 'In id order; `q` matches the start of the address, or a part of a name or the company.',
      query: listContactsQuery,
      responses: { 200: { description: 'A page of contacts', schema: contactPage } },
      async handle({ query }, res) {
        res.json(await inRequestWorkspace(deps.db, res, (db) => listContacts(db, query)));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/contacts/{id}',
      tag: 'Contacts',
      summary: 'Get a contact with its enrollments and recent emails',
      params: idParams,
      responses: { 200: { description: 'The contact', schema: contactDetail } },
      errors: [404],
      async handle({ params }, res) {
        const contact = await inRequestWorkspace(deps.db, res, (db) => findContactDetail(db, params.id));
        if (!contact) throw notFound('contact', params.id);
        res.json(contact);
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/contacts/{id}',
      tag: 'Contacts',
      summary: "Change a contact's names, company or custom fields",
      description: 'Emails not yet sent render with the new values; the address is the contact and does not change.',
      params: idParams,
      body: updateContactSchema,
      responses: { 200: { description: 'The contact', schema: contactDetail } },
      errors: [404],
      async handle({ params, body }, res) {
        await refuseZonesPostgresLacks(deps.db, [{ path: 'time_zone', zone: body.time_zone }]);
        const updated = await inRequestWorkspace(deps.db, res, async (trx) =>
          (await updateContact(trx, params.id, body)) ? findContactDetail(trx, params.id) : undefined,
        );
        if (!updated) throw notFound('contact', params.id);
        res.json(updated);
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/contacts/{id}',
      tag: 'Contacts',
      summary: "Erase a contact's personal data",
      description:
        'Cancels its unsent emails, then deletes the contact with its enrollments, emails and their history. ' +
        'Its events (sent, failed, …) stay for the counts, linked to no person and with only anonymous ' +
        'metadata. Refused (409 contact_sending) while one of its emails is being sent: retry shortly. ' +
        'What stays outside the database is in docs/api.md.',
      params: idParams,
      responses: { 200: { description: 'Erased', schema: erasedContact } },
      errors: [404, 409],
      async handle({ params }, res) {
        const erased = await inRequestWorkspace(deps.db, res, (trx) => eraseContact(trx, params.id));
        if (!erased) throw notFound('contact', params.id);
        res.json({ id: params.id, erased: true, ...erased });
      },
    }),
  ];
}
