import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import { findRepoRoot } from '@outflow/stack';
import { loadSequence } from '../fault-environment.js';
import { settle, type Scenario } from '../scenario-kit.js';

/** Environment that shifts a service's wall clock (fault injection only; see preload/skew-clock.mjs). */
function skewedClock(ms: number): Record<string, string> {
  const preload = join(findRepoRoot(), 'tools', 'faults', 'preload', 'skew-clock.mjs');
  return { NODE_OPTIONS: `--import ${pathToFileURL(preload).href}`, OUTFLOW_CLOCK_SKEW_MS: String(ms) };
}

export const clockSkew: Scenario = {
  name: 'clock-skew',
  description:
    'every service clock 10 minutes ahead of the database, a second producer and sender 10 minutes behind; due times, waits and capacity days must follow the database clock',
  // Three-second days and a one-day wait: a service deciding by its own clock would send step 2 at once.
  env: { OUTFLOW_DAY_SECONDS: '3', ...skewedClock(600_000) },
  run: async (environment, options) => {
    await environment.pipeline.addReplica('cron-producer', skewedClock(-600_000));
    await environment.pipeline.addReplica('smtp-sender', skewedClock(-600_000));
    const contacts = options.size === 'quick' ? 40 : 400;
    const sequenceId = await loadSequence(environment, {
      contacts,
      steps: 2,
      waitDays: 1,
      mailboxes: 2,
      capacity: options.size === 'quick' ? 30 : 300,
      timeZones: ['Pacific/Chatham', 'America/Anchorage'],
    });
    await settle(environment, [sequenceId], 120_000);
    // Step 2 may go out only a (3 s) day after step 1 by the database clock.
    const { rows: early } = await sql<{ contact_id: string; gap_seconds: number }>`
      select s2.contact_id, extract(epoch from s2.sent_at - s1.sent_at)::float8 as gap_seconds
      from email_queues s1 join email_queues s2
        on s2.sequence_contact_id = s1.sequence_contact_id and s2.step_order = 2
      where s1.sequence_id = ${sequenceId} and s1.step_order = 1 and s2.status = 'sent'
        and s2.sent_at < s1.sent_at + interval '3 seconds'
    `.execute(environment.database.db);
    return {
      sequenceIds: [sequenceId],
      lastFaultAt: Date.now(),
      details: { skewMs: [600_000, -600_000], mismatches: early.map((row) => ({ followupTooEarly: row })) },
    };
  },
};
