import { createInterface } from 'node:readline';

import { Logger, run, type Task } from 'graphile-worker';

import { dueEmailSelect, renderDueEmail, type DueEmail } from './due-messages.js';

import { mailboxTransports } from './mailbox-transports.js';

// The alternative a Node team would build instead of Outflow: one graphile-worker job per email (added before this
// starts), whose task reads the email, renders it with Outflow's renderer, sends it with nodemailer and marks it
// sent, on the same database and sink. Prints "ready", starts the worker on a line from stdin and prints "started"
// once it runs. argv: database URL, connections per mailbox, concurrent
// jobs. Exits on SIGTERM (graphile-worker's graceful shutdown).
const [connectionString, poolSize, concurrency] = process.argv.slice(2);
const transports = mailboxTransports(Number(poolSize));

const sendEmail: Task = async (payload, helpers) => {
  const { id } = payload as { id: string };
  const { rows } = await helpers.withPgClient((client) =>
    client.query<DueEmail>(`${dueEmailSelect} where e.id = $1 and e.status = 'scheduled'`, [id]),
  );
  const email = rows[0];
  if (!email) return; // Already sent by an earlier attempt of this job.
  await transports.send(await renderDueEmail(email));
  await helpers.withPgClient((client) =>
    client.query(`update email_queues set status = 'sent', sent_at = now(), attempts = attempts + 1 where id = $1`, [
      id,
    ]),
  );
};

process.stdout.write('ready\n');
await new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));
const concurrentJobs = Number(concurrency);
// Its best honest configuration (https://worker.graphile.org/docs/performance): a local queue that locks jobs in
// batches instead of one round trip per job, completions batched, a pool large enough for the jobs' own queries.
const runner = await run({
  connectionString,
  concurrency: concurrentJobs,
  maxPoolSize: concurrentJobs + 2,
  pollInterval: 1_000,
  noHandleSignals: false,
  // Warnings and errors only: its default logs a line per job, which would measure the console.
  logger: new Logger(() => (level, message) => {
    if (level === 'error' || level === 'warning') process.stderr.write(`${message}\n`);
  }),
  preset: {
    worker: {
      localQueue: { size: concurrentJobs * 4 },
      completeJobBatchDelay: 0,
      failJobBatchDelay: 0,
    },
  },
  taskList: { send_email: sendEmail },
});
process.stdout.write('started\n');
await runner.promise;
transports.close();
