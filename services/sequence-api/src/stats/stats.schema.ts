import { z } from '@outflow/config';
import { uuid } from '../http/schemas.js';
import { mailboxStatus } from '../mailboxes/mailbox.schema.js';

const count = z.int().min(0);

export const statsSchema = z
  .object({
    queue: z
      .object({
        queued: count,
        retrying: count,
        in_progress: count,
        uncertain: count,
        dead_letter: count,
        due_now: count.meta({ description: 'Of the queued and retrying, those whose time has come.' }),
      })
      .meta({ description: 'Emails with work ahead, by delivery status.' }),
    last_hour: z.object({
      sent: count,
      failed: count.meta({ description: 'Emails given up on: a permanent failure, or out of retries.' }),
      failed_attempts: count.meta({ description: 'Send attempts that failed (retried or given up on).' }),
      uncertain: count,
      failure_rate: z
        .number()
        .min(0)
        .max(1)
        .nullable()
        .meta({ description: 'Failed attempts over attempts that ended; null when none did.' }),
      send_ms: z
        .object({ p50: z.int().nullable(), p95: z.int().nullable() })
        .meta({ description: 'SMTP transaction time of the emails sent, in milliseconds; null when none was.' }),
    }),
    mailboxes: z.array(
      z.object({
        id: uuid,
        email: z.string(),
        status: mailboxStatus,
        time_zone: z.string(),
        day: z.iso.date().meta({ description: "The mailbox's local day, as its capacity counts it." }),
        capacity: count,
        sent: count,
        reserved: count.meta({ description: 'Claimed for sending today, not yet sent or released.' }),
        remaining: count,
      }),
    ),
  })
  .meta({ id: 'Stats' });
