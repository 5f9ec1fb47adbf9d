import { z } from '@outflow/config';
import { timestamp, uuid } from '../http/schemas.js';

export const heldBy = z.enum([
  'schedule',
  'window',
  'capacity',
  'pacing',
  'in_flight',
  'sent',
  'retrying',
  'mailbox_inactive',
  'sequence_paused',
  'enrollment_inactive',
  'beyond_horizon',
  'ended',
]);

const heldByDescription =
  'What decides the time: schedule (its wait and send window; now when due), window (held past its send ' +
  "window's close by capacity or pacing: the next opening), capacity (the mailbox's day is full: a later day), " +
  'pacing (the gap after the send before), in_flight (claimed or being sent), sent, retrying (after a failure, ' +
  'the retry consumer decides when); or why none is expected: mailbox_inactive, sequence_paused, ' +
  'enrollment_inactive, beyond_horizon (not within the horizon), ended (failed, cancelled, uncertain, or a step ' +
  'before it did).';

export const forecastQuery = z.object({ limit: z.coerce.number().int().min(1).max(1_000).default(100) }).strict();

const forecastEmail = z
  .object({
    email_id: uuid,
    sequence_contact_id: uuid,
    contact_id: uuid,
    contact_email: z.string(),
    step_order: z.int(),
    mailbox_id: uuid,
    scheduled_for: timestamp,
    expected_at: timestamp.nullable(),
    held_by: heldBy.meta({ description: heldByDescription }),
  })
  .meta({ id: 'ForecastEmail' });

export const sequenceForecast = z
  .object({
    sequence_id: uuid,
    status: z.string(),
    generated_at: timestamp,
    horizon_days: z.int().meta({ description: "How many of each mailbox's local days the forecast looks ahead." }),
    scheduled: z.int().meta({ description: 'Emails of the sequence waiting to be sent.' }),
    in_flight: z.int().meta({ description: 'Emails of the sequence claimed or being sent right now.' }),
    expected: z.int().meta({ description: 'Waiting emails expected to go within the horizon.' }),
    not_expected: z.object({ sequence_paused: z.int(), mailbox_inactive: z.int(), beyond_horizon: z.int() }),
    last_expected_at: timestamp.nullable().meta({ description: 'When the last expected one goes.' }),
    emails: z.array(forecastEmail).meta({
      description: 'The first `limit` waiting emails, in the order they are expected to go; then those not expected.',
    }),
  })
  .meta({ id: 'SequenceForecast' });

export const enrollmentForecast = z
  .object({
    sequence_contact_id: uuid,
    status: z.string(),
    generated_at: timestamp,
    steps: z.array(
      z.object({
        step_order: z.int(),
        email_id: uuid.nullable().meta({ description: 'null: not scheduled yet (a later step).' }),
        status: z.string().meta({ description: "The email's status, or not_scheduled." }),
        scheduled_for: timestamp.nullable(),
        expected_at: timestamp
          .nullable()
          .meta({ description: 'When it is sent or expected to be (a later step: after the one before, its wait).' }),
        held_by: heldBy.meta({ description: heldByDescription }),
      }),
    ),
  })
  .meta({ id: 'EnrollmentForecast' });
