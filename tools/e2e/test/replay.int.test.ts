import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { createKafka, fetchGroupLag } from '@outflow/kafka';
import { spawnTypeScript, testLogger } from '@outflow/stack';
import { eventually } from './api-client.js';
import { runningPipeline } from './running-pipeline.js';

const cli = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));

describe('outflow replay on the running pipeline: replaying email-jobs and followup-events sends nothing twice', () => {
  const e2e = runningPipeline({
    services: ['sequence-api', 'cron-producer', 'smtp-sender', 'followup-scheduler'],
    env: { OUTFLOW_DAY_SECONDS: '1' },
  });

  const replay = async (topic: string, from: string) => {
    const { stack } = e2e;
    const run = spawnTypeScript(cli, {
      args: ['replay', '--topic', topic, '--from-time', from],
      env: {
        PATH: process.env['PATH'],
        KAFKA_BROKERS: stack.broker.brokers.join(','),
        KAFKA_TOPIC_PREFIX: stack.topicPrefix,
      },
    });
    expect(await run.waitForExit(60_000)).toBe(0);
    return run.output();
  };

  it('sends each email once although every job and follow-up event is handled again', async () => {
    const { stack, database, pipeline, api } = e2e;
    const started = new Date(Date.now() - 1_000).toISOString();
    const mailbox = await api('POST', '/api/v1/mailboxes', {
      email: 'replay@sender.test',
      smtp_host: stack.smtp.host,
      smtp_port: stack.smtp.port,
      smtp_username: 'replay@sender.test',
      smtp_password: 'not-a-real-password',
      smtp_allow_insecure_auth: true,
      daily_capacity: 10_000,
    });
    expect(mailbox.status).toBe(201);
    const sequence = await api('POST', '/api/v1/sequences', {
      name: 'Replayed',
      mailbox_ids: [mailbox.body['id']],
      steps: [
        { subject: 'First', content: 'One', wait_days: 0 },
        { subject: 'Second', content: 'Two', wait_days: 1 },
      ],
    });
    const recipients = Array.from({ length: 10 }, (_, index) => `replayed${index}@example.com`);
    const enrolled = await api('POST', `/api/v1/sequences/${String(sequence.body['id'])}/contacts`, {
      contacts: recipients.map((email) => ({ email })),
    });
    expect(enrolled.status).toBe(201);
    const delivered = () => stack.smtp.messages.filter((message) => message.to.some((to) => recipients.includes(to)));
    await eventually(async () => {
      const { body } = await api<{ counts: { enrollments: { completed: number } } }>(
        'GET',
        `/api/v1/sequences/${String(sequence.body['id'])}`,
      );
      return body.counts.enrollments.completed === 10;
    }, 90_000);
    expect(delivered()).toHaveLength(20);

    // Stop the two consumers, move their groups back to before the first job, and start them again.
    for (const name of ['smtp-sender', 'followup-scheduler'] as const) {
      const service = pipeline.processes.get(name)!;
      service.kill('SIGTERM');
      expect(await service.waitForExit(30_000)).toBe(0);
    }
    // Every job of the 20 emails and every follow-up event of their sends is handed to the handlers again.
    const replayed = (output: string) => Number(/: (\d+) message\(s\) to handle again/.exec(output)?.[1]);
    expect(replayed(await replay('email-jobs', started))).toBeGreaterThanOrEqual(20);
    expect(replayed(await replay('followup-events', started))).toBe(20);
    await pipeline.restart('smtp-sender');
    await pipeline.restart('followup-scheduler');

    // Both groups work through every replayed message...
    const kafka = createKafka({
      brokers: stack.broker.brokers,
      clientId: 'replay-test',
      logger: testLogger('replay-test'),
      namePrefix: stack.topicPrefix,
    });
    await eventually(async () => {
      const lags = [
        ...(await fetchGroupLag(kafka, { groupId: 'smtp-sender', topic: 'email-jobs' })),
        ...(await fetchGroupLag(kafka, { groupId: 'followup-scheduler', topic: 'followup-events' })),
      ];
      return lags.every((partition) => partition.lag === 0);
    }, 90_000);
    // ...and nothing was sent or scheduled twice.
    expect(delivered()).toHaveLength(20);
    const ids = delivered().map((message) => message.headers['x-outflow-email-id']);
    expect(new Set(ids).size).toBe(20);
    const emails = await database.db
      .selectFrom('email_queues')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('sequence_id', '=', String(sequence.body['id']))
      .executeTakeFirstOrThrow();
    expect(Number(emails.count)).toBe(20);
  }, 300_000);
});
