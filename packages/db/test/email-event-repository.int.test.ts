import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createDb, insertEmailEvent, insertEmailEvents, type Database, type NewEmailEvent } from '../src/index.js';
import {
  createTestDatabase,
  preparedOnConnection,
  seedEnrolledEmail,
  type TestDatabase,
} from '../src/testing/index.js';

describe('email event repository', () => {
  let test: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    test = await createTestDatabase();
    db = createDb({ url: test.url, maxConnections: 1 });
  });
  afterAll(async () => {
    await db?.destroy();
    await test?.drop();
  });

  it('records each event once, with its links and metadata exactly as given, in one prepared statement', async () => {
    const { email, sequence, contact, mailbox } = await seedEnrolledEmail(test.db);
    const links = { emailId: email.id, sequenceId: sequence.id, contactId: contact.id, mailboxId: mailbox.id };
    const awkward = { text: 'a "quoted", {braced} \\ back\\slash', nested: { list: [1, null, 'ü'] }, none: null };
    const events: NewEmailEvent[] = [
      { ...links, type: 'sent', eventKey: 'sent:1', metadata: awkward },
      { ...links, sequenceId: null, contactId: null, mailboxId: null, type: 'failed', eventKey: 'failed:1' },
      { ...links, type: 'sent', eventKey: 'sent:1', metadata: { repeated: true } },
    ];
    await insertEmailEvents(db, events);
    await insertEmailEvent(db, { ...links, type: 'opened', eventKey: 'failed:1' });

    const rows = await db
      .selectFrom('email_events')
      .select(['event_key', 'type', 'email_queue_id', 'sequence_id', 'contact_id', 'mailbox_id', 'metadata'])
      .orderBy('event_key')
      .execute();
    expect(rows).toEqual([
      {
        event_key: 'failed:1',
        type: 'failed',
        email_queue_id: email.id,
        sequence_id: null,
        contact_id: null,
        mailbox_id: null,
        metadata: {},
      },
      {
        event_key: 'sent:1',
        type: 'sent',
        email_queue_id: email.id,
        sequence_id: sequence.id,
        contact_id: contact.id,
        mailbox_id: mailbox.id,
        metadata: awkward,
      },
    ]);
    // One text for any number of events: the one and three event inserts share one prepared statement.
    const statements = await preparedOnConnection(db);
    expect(statements.filter((statement) => statement.name.startsWith('insert-email-events-'))).toHaveLength(1);
  });
});
