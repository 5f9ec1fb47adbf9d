import type { Database } from '@outflow/db';
import type { z } from '@outflow/config';
import {
  closedWindows,
  contactAddresses,
  databaseNow,
  followUpDue,
  forecastHorizonDays,
  readEnrollment,
  readMailboxQueues,
  readSequenceQueue,
  type QueueRow,
} from './forecast.repository.js';
import type { enrollmentForecast, heldBy, sequenceForecast } from './forecast.schema.js';
import { forecastMailbox, type Projection as QueueProjection } from './mailbox-forecast.js';

/** A queue's projection, or an email the sender will move to its window's next opening. */
type Projection = QueueProjection | { expectedAt: Date; heldBy: 'window' };

type HeldBy = z.infer<typeof heldBy>;

/** How often a forecast moves emails its play lands outside their send windows and plays the queue again. */
const windowPasses = 4;

/**
 * Every queue of these mailboxes forecast, with each email's row: what the producer will do, as of `now`. An
 * email the play lands outside its send window (a full day or a gap held it past the window's close) is moved to
 * the window's next opening, as the sender would move it, and the queue is played again in its new order.
 */
async function forecastQueues(db: Database, mailboxIds: readonly string[], daySeconds: number, now: Date) {
  const queues = await readMailboxQueues(db, mailboxIds, daySeconds);
  const forecasts = new Map<string, { row: QueueRow; projection: Projection }>();
  for (const { state, queue } of queues.values()) {
    const moved = new Map<string, Date>();
    let projections = new Map<string, Projection>();
    for (let pass = 0; pass <= windowPasses; pass++) {
      const due = queue
        .map((row) => ({ id: row.id, scheduledFor: moved.get(row.id) ?? row.scheduled_for }))
        .sort((a, b) => a.scheduledFor.getTime() - b.scheduledFor.getTime() || (a.id < b.id ? -1 : 1));
      projections = forecastMailbox(state, due, now);
      if (pass === windowPasses) break;
      const landed = queue.flatMap((row) => {
        const at = projections.get(row.id)?.expectedAt;
        return row.windowed && at ? [{ id: row.id, at }] : [];
      });
      const closed = await closedWindows(db, landed);
      if (closed.size === 0) break;
      for (const [id, opensAt] of closed) moved.set(id, opensAt);
    }
    for (const row of queue) {
      const projection = projections.get(row.id)!;
      const windowHeld = moved.has(row.id) && projection.expectedAt?.getTime() === moved.get(row.id)!.getTime();
      forecasts.set(row.id, {
        row,
        projection: windowHeld ? { expectedAt: projection.expectedAt!, heldBy: 'window' } : projection,
      });
    }
  }
  return forecasts;
}

/**
 * When each waiting email of the sequence is expected to go: its mailboxes' whole queues are forecast (the
 * emails of other sequences ahead of it take their turn and capacity), and the sequence's are reported, the
 * first `limit` in the order they go. Undefined when there is no such sequence.
 */
export async function forecastSequence(
  db: Database,
  sequenceId: string,
  options: { daySeconds: number; limit: number },
): Promise<z.infer<typeof sequenceForecast> | undefined> {
  const sequence = await readSequenceQueue(db, sequenceId);
  if (!sequence) return undefined;
  const now = await databaseNow(db);
  const forecasts =
    sequence.status === 'active' ? await forecastQueues(db, sequence.mailboxIds, options.daySeconds, now) : new Map();
  const ours = [...forecasts.values()].filter(({ row }) => row.sequence_id === sequenceId);
  const expected = ours
    .filter(({ projection }) => projection.expectedAt !== null)
    .sort((a, b) => a.projection.expectedAt!.getTime() - b.projection.expectedAt!.getTime());
  const inactive = ours.filter(({ projection }) => projection.heldBy === 'mailbox_inactive');
  const listed = [...expected, ...inactive].slice(0, options.limit);
  const addresses = await contactAddresses(
    db,
    listed.map(({ row }) => row.contact_id),
  );
  const notExpected = {
    sequence_paused: sequence.status === 'active' ? 0 : sequence.scheduled,
    mailbox_inactive: sequence.status === 'active' ? sequence.inactive : 0,
    // Read as far as the horizon holds: the rest of the sequence's waiting emails go later.
    beyond_horizon:
      sequence.status === 'active' ? Math.max(sequence.scheduled - expected.length - sequence.inactive, 0) : 0,
  };
  return {
    sequence_id: sequenceId,
    status: sequence.status,
    generated_at: now.toISOString(),
    horizon_days: forecastHorizonDays,
    scheduled: sequence.scheduled,
    in_flight: sequence.inFlight,
    expected: expected.length,
    not_expected: notExpected,
    last_expected_at: expected.at(-1)?.projection.expectedAt?.toISOString() ?? null,
    emails: listed.map(({ row, projection }) => ({
      email_id: row.id,
      sequence_contact_id: row.sequence_contact_id,
      contact_id: row.contact_id,
      contact_email: addresses.get(row.contact_id) ?? '',
      step_order: row.step_order,
      mailbox_id: row.mailbox_id,
      scheduled_for: row.scheduled_for.toISOString(),
      expected_at: projection.expectedAt?.toISOString() ?? null,
      held_by: projection.heldBy,
    })),
  };
}

type StepForecast = z.infer<typeof enrollmentForecast>['steps'][number];

/**
 * Each step of an enrollment: a sent one when it was sent; the waiting one as its mailbox's queue forecast
 * says; each later one after the one before, its wait and send window, as the follow-up scheduler will
 * schedule it (it cannot know what will be queued ahead of it then). Undefined when there is no such enrollment.
 */
export async function forecastEnrollment(
  db: Database,
  sequenceId: string,
  contactId: string,
  daySeconds: number,
): Promise<z.infer<typeof enrollmentForecast> | undefined> {
  const found = await readEnrollment(db, sequenceId, contactId);
  if (!found) return undefined;
  const { enrollment, steps, emails } = found;
  const now = await databaseNow(db);
  const emailOf = new Map(emails.map((email) => [email.step_order, email]));
  const waiting = emails.find((email) => email.status === 'scheduled');
  const queued =
    waiting && enrollment.sequence_status === 'active' && enrollment.status === 'active'
      ? (await forecastQueues(db, [enrollment.mailbox_id], daySeconds, now)).get(waiting.id)
      : undefined;

  const forecast: StepForecast[] = [];
  // The time the step before went or is expected to go; null once the chain breaks.
  let before: Date | null = null;
  for (const step of steps) {
    const email = emailOf.get(step.step_order);
    const known = (expectedAt: Date | null, held: HeldBy) => {
      forecast.push({
        step_order: step.step_order,
        email_id: email?.id ?? null,
        status: email?.status ?? 'not_scheduled',
        scheduled_for: email?.scheduled_for.toISOString() ?? null,
        expected_at: expectedAt?.toISOString() ?? null,
        held_by: held,
      });
      before = expectedAt;
    };
    if (email?.status === 'sent') known(email.sent_at ?? email.scheduled_for, 'sent');
    else if (email && ['queued', 'sending'].includes(email.status)) known(now, 'in_flight');
    else if (email?.status === 'retry_pending') known(null, 'retrying');
    else if (email && email.status !== 'scheduled') known(null, 'ended');
    else if (enrollment.status !== 'active') known(null, 'enrollment_inactive');
    else if (enrollment.sequence_status !== 'active') known(null, 'sequence_paused');
    else if (email) known(queued?.projection.expectedAt ?? null, queued?.projection.heldBy ?? 'beyond_horizon');
    else if (before === null) known(null, forecast.at(-1)?.held_by ?? 'ended');
    else {
      const due: Date = await followUpDue(db, {
        sequenceId,
        contactId,
        after: before,
        waitDays: step.wait_days,
        daySeconds,
      });
      known(due, 'schedule');
    }
  }
  return {
    sequence_contact_id: enrollment.id,
    status: enrollment.status,
    generated_at: now.toISOString(),
    steps: forecast,
  };
}
