import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Command } from '@commander-js/extra-typings';
import { claimEnv, dayEnv, parseEnv } from '@outflow/config';
import { claimDueEmails } from '@outflow/db';
import { createTypedProducer, publishClaimed } from '@outflow/kafka';
import { createLogger } from '@outflow/telemetry';
import { wholeNumber } from '../arguments.js';
import type { CliContext } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { connectKafka, schemaCodecFromEnv } from '../kafka-connection.js';
import { printRows } from '../output.js';
import { progressShown, startProgress } from '../progress.js';
import { findMailboxes, mailboxAddresses, readBacklog } from './drain.repository.js';

export function registerDrainCommand(program: Command, context: CliContext): void {
  const { out } = context;
  program
    .command('drain')
    .description(
      "Claim what is due now and publish it to email-jobs, as the producer's tick does, until nothing more may be " +
        'claimed (or --max): within each mailbox’s capacity, never from a paused sequence or mailbox, up to the ' +
        'queue cap (PRODUCER_MAX_QUEUED). The senders send it. For a stopped producer, or one mailbox now.',
    )
    .option('--max <n>', 'claim at most this many emails', wholeNumber(1, 1_000_000))
    .option('--mailbox <id-or-address>', "only this mailbox's emails")
    .option('--json', 'print JSON: what was claimed and published, by mailbox, and what is still due')
    .action(async ({ max, mailbox: mailboxArgument, json }) => {
      const settings = parseEnv({ ...dayEnv, ...claimEnv });
      const db = await context.database();
      let mailboxId: string | undefined;
      if (mailboxArgument !== undefined) {
        const found = await findMailboxes(db, mailboxArgument);
        if (found.length === 0) throw new CliError(`no mailbox ${mailboxArgument}`);
        if (found.length > 1) {
          throw new CliError(`${mailboxArgument} is the address of ${found.length} mailboxes: name one by its id`);
        }
        const mailbox = found[0]!;
        if (mailbox.status !== 'active') {
          throw new CliError(`mailbox ${mailbox.email} is ${mailbox.status}: it sends nothing until it is active`);
        }
        mailboxId = mailbox.id;
      }

      const kafka = await connectKafka();
      const codec = schemaCodecFromEnv();
      await codec.registerAll();
      const producer = await createTypedProducer({ kafka, codec });
      const deps = {
        db,
        producer,
        // Failed batches are counted and reported below; a log line would only mix into the output.
        logger: createLogger({ service: 'outflow-cli', level: 'silent' }),
        producerId: `outflow-cli:${hostname()}:${process.pid}`,
      };
      const progress = progressShown()
        ? startProgress(Math.min((await readBacklog(db, mailboxId)).due, max ?? Infinity), 'claiming')
        : undefined;
      const byMailbox = new Map<string, { claimed: number }>();
      const totals = { claimed: 0, published: 0, failed: 0 };
      let after: string | null = null;
      try {
        while (max === undefined || totals.claimed < max) {
          const startedAt = new Date();
          const claim = await claimDueEmails(db, {
            claimToken: randomUUID(),
            daySeconds: settings.OUTFLOW_DAY_SECONDS,
            maxPerMailbox: settings.PRODUCER_MAX_PER_MAILBOX,
            maxQueued: settings.PRODUCER_MAX_QUEUED,
            after,
            ...(max === undefined ? {} : { limit: max - totals.claimed }),
            ...(mailboxId === undefined ? {} : { mailboxId }),
          });
          if (claim.emails.length === 0) break;
          after = claim.lastMailboxId;
          const published = await publishClaimed(deps, 'claim', claim.emails, {
            batchSize: settings.PRODUCER_BATCH_SIZE,
            attempt: 1,
            startedAt,
          });
          totals.claimed += claim.emails.length;
          totals.published += published.published;
          totals.failed += published.failed;
          for (const email of claim.emails) {
            const entry = byMailbox.get(email.mailbox_id) ?? { claimed: 0 };
            entry.claimed += 1;
            byMailbox.set(email.mailbox_id, entry);
          }
          progress?.increment(claim.emails.length);
        }
      } finally {
        progress?.stop();
        await producer.disconnect();
      }

      const addresses = await mailboxAddresses(db, [...byMailbox.keys()]);
      const rows = [...byMailbox].map(([id, { claimed }]) => ({ mailbox_id: id, email: addresses.get(id)!, claimed }));
      rows.sort((a, b) => a.email.localeCompare(b.email));
      const backlog = await readBacklog(db, mailboxId);
      if (json) {
        out.result(
          JSON.stringify(
            {
              ...totals,
              mailboxes: rows,
              stillDue: backlog.due,
              inFlight: backlog.inFlight,
              cap: settings.PRODUCER_MAX_QUEUED,
            },
            null,
            2,
          ),
        );
      } else {
        printRows(
          out,
          rows,
          [
            { header: 'MAILBOX', value: (row) => row.email },
            { header: 'CLAIMED', value: (row) => String(row.claimed) },
          ],
          { empty: 'nothing was claimed' },
        );
        out.info(`claimed ${totals.claimed} and published ${totals.published} email(s) to email-jobs`);
        if (backlog.due > 0) {
          const capped = backlog.inFlight >= settings.PRODUCER_MAX_QUEUED;
          out.info(
            `${backlog.due} still due: ` +
              (max !== undefined && totals.claimed >= max
                ? `--max ${max} reached`
                : capped
                  ? `the queue is at its cap (${backlog.inFlight} in flight, PRODUCER_MAX_QUEUED ${settings.PRODUCER_MAX_QUEUED}); the senders are behind`
                  : 'held by mailbox capacity used up today, a paused sequence or mailbox, or a producer claiming them now'),
          );
        }
      }
      if (totals.failed > 0) {
        throw new Error(
          `${totals.failed} claimed email(s) could not be published (Kafka refused their batch): they stay claimed, ` +
            'and the producer publishes them again after PRODUCER_REPUBLISH_AFTER_MS',
        );
      }
    });
}
