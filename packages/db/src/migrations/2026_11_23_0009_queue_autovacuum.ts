import { sql, type Kysely } from 'kysely';

/**
 * email_queues is a queue and its history in one table: every email is rewritten three or four times within
 * seconds (claimed, sending, sent) while the table keeps every email ever sent. PostgreSQL's default autovacuum
 * waits until dead rows reach 20% of the table, which at 1e7 rows is 2e6 dead versions: the L drain of the
 * benchmark (1e6 emails) barely reached it. Meanwhile the scans that start at the old end of a partial index
 * (the due emails, the claims to republish) walk every dead entry left there: the republish search read ~13 700
 * pages per call finding nothing. Vacuumed after 1% of the table plus 10 000 rows, the dead entries stay a few
 * minutes' worth at any size; statistics follow the due rows as they move.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table email_queues set (
      autovacuum_vacuum_scale_factor = 0.01,
      autovacuum_vacuum_threshold = 10000,
      autovacuum_analyze_scale_factor = 0.02
    )
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    alter table email_queues reset (
      autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold, autovacuum_analyze_scale_factor
    )
  `.execute(db);
}
