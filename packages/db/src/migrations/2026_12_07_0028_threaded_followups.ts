import { sql, type Kysely } from 'kysely';

/**
 * Follow-ups answer in the thread: a step after the first may leave its subject out, and is then sent as
 * `Re: <the first step's subject>` with In-Reply-To and References naming the thread's earlier emails (the sender
 * reads their Message-IDs, stored before each send). The first step always has a subject.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table steps alter column subject drop not null;
    alter table steps add constraint steps_first_has_subject check (subject is not null or step_order > 1);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    update steps s set subject = 'Re: ' || coalesce(
      (select f.subject from steps f where f.sequence_id = s.sequence_id and f.version = s.version and f.step_order = 1),
      '')
    where subject is null;
    alter table steps drop constraint steps_first_has_subject;
    alter table steps alter column subject set not null;
  `.execute(db);
}
