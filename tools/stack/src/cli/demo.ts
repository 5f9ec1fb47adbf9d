import { join } from 'node:path';
import { sql } from 'kysely';
import { parseEnv, port, positiveInt } from '@outflow/config';
import { createApiKey, createDb } from '@outflow/db';
import { runService } from '@outflow/runtime';
import { createLogger } from '@outflow/telemetry';
import { startPipeline } from '../services.js';
import { stackEnv, startStackFromEnv } from './stack-env.js';

// `npm run demo`: the local stack, all five services as processes, and a demo sequence that runs to the end.
const logger = createLogger({ service: 'demo', level: process.env['LOG_LEVEL'] === 'debug' ? 'debug' : 'warn' });
const say = (line = ''): void => void process.stdout.write(`${line}\n`);

const service = runService({
  logger,
  graceMs: 30_000,
  start: async () => {
    const env = parseEnv({
      ...stackEnv,
      DEMO_DAY_SECONDS: positiveInt.default(5),
      DEMO_CONTACTS: positiveInt.max(10_000).default(30),
      API_PORT: port.default(3000),
    });
    const { stack, stateDir } = await startStackFromEnv(env, logger, () => service);
    const stoppers = [...stack.stoppers];
    try {
      say('starting the five services…');
      const pipeline = await startPipeline({
        databaseUrl: stack.endpoints.databaseUrl,
        kafkaBrokers: stack.endpoints.kafkaBrokers,
        schemaRegistryUrl: stack.endpoints.schemaRegistryUrl,
        env: {
          OUTFLOW_SECRET_KEYS: stack.secretKeys,
          OUTFLOW_DAY_SECONDS: String(env.DEMO_DAY_SECONDS),
          PRODUCER_TICK_MS: '500',
          RETRY_BASE_DELAY_MS: String(env.DEMO_DAY_SECONDS * 200),
          API_PORT: String(env.API_PORT),
          ...stack.tracingEnv,
        },
      });
      stoppers.unshift({ name: 'services', stop: async () => void (await pipeline.stop()) });

      const db = createDb({ url: stack.endpoints.databaseUrl, maxConnections: 2, applicationName: 'outflow-demo' });
      stoppers.splice(1, 0, { name: 'demo-db', stop: () => db.destroy() });
      const { key } = await createApiKey(db, `demo ${new Date().toISOString()}`);
      const api = async (method: string, path: string, body?: unknown) => {
        const response = await fetch(`${pipeline.apiUrl}/api/v1${path}`, {
          method,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const json = (await response.json()) as Record<string, unknown>;
        if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(json)}`);
        return json;
      };

      const run = Date.now().toString(36);
      const mailbox = await api('POST', '/mailboxes', {
        email: `demo-${run}@outflow.test`,
        display_name: 'Outflow Demo',
        smtp_host: stack.endpoints.smtp.host,
        smtp_port: stack.endpoints.smtp.port,
        smtp_username: 'demo',
        smtp_password: 'demo-password',
        smtp_allow_insecure_auth: true, // the stack's sink offers no TLS (the stack runs in development mode)
        daily_capacity: 1_000,
      });
      // Where Dovecot runs, the mailbox's inbox is read: one recipient answers, and the reply stops their sequence.
      const imap = stack.imap;
      if (imap) {
        await imap.addUser(String(mailbox['email']), 'demo-imap-password');
        await api('PUT', `/mailboxes/${String(mailbox['id'])}/imap`, {
          host: imap.host,
          port: imap.port,
          tls: false, // the stack's Dovecot offers no TLS (development mode allows it)
          username: mailbox['email'],
          password: 'demo-imap-password',
        });
      }
      const replier = `replier-${run}@example.com`;
      const sequence = await api('POST', '/sequences', {
        name: `Demo sequence ${run}`,
        mailbox_ids: [mailbox['id']],
        steps: [
          {
            subject: 'Hello {{first_name}}',
            content: 'Hi {{ first_name | default: "there" }}, meet Outflow.',
            wait_days: 0,
          },
          {
            subject: 'Following up, {{first_name}}',
            content_format: 'mjml',
            content:
              '<mjml><mj-body><mj-section><mj-column><mj-text>Just following up, {{first_name}} at {{ company | default: "your company" }}.</mj-text></mj-column></mj-section></mj-body></mjml>',
            wait_days: 1,
          },
          { subject: 'Last note', content: 'Last one, {{first_name}}. Thanks for reading!', wait_days: 1 },
        ],
      });
      // One greylisted recipient (retried, then delivered) and one unknown user (bounced at once).
      stack.smtp.addFault({
        recipient: `greylisted-${run}@example.com`,
        action: { type: 'reply', code: 451 },
        times: 1,
      });
      stack.smtp.addFault({
        recipient: `unknown-${run}@example.com`,
        action: { type: 'reply', code: 550, message: '5.1.1 User unknown' },
      });
      const special = [
        { email: `greylisted-${run}@example.com`, first_name: 'Grey' },
        { email: `unknown-${run}@example.com`, first_name: 'Nobody' },
        ...(imap ? [{ email: replier, first_name: 'Riley' }] : []),
      ];
      if (imap) {
        // Riley answers the first email while the sender still waits for the provider's 250, so the reply is read
        // before a follow-up could be due, however short the demo's day.
        stack.smtp.addFault({
          recipient: replier,
          times: 1,
          action: {
            type: 'accept-after',
            until: async (first) => {
              const reply = [
                `From: Riley <${replier}>`,
                `To: ${String(mailbox['email'])}`,
                `Subject: Re: ${first.headers['subject'] ?? ''}`,
                `Message-ID: <reply-${run}@example.com>`,
                `In-Reply-To: ${first.headers['message-id'] ?? ''}`,
                `References: ${first.headers['message-id'] ?? ''}`,
                '',
                'Thanks, I am interested: call me on Thursday.',
                '',
              ].join('\r\n');
              await imap.deliver(String(mailbox['email']), reply);
              for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
                const { rows } = await sql<{ status: string }>`
                  select sc.status from sequence_contacts sc join contacts c on c.id = sc.contact_id
                  where c.email = ${replier}
                `.execute(db);
                if (rows[0]?.status === 'replied') return;
                await new Promise((resolve) => setTimeout(resolve, 100));
              }
            },
          },
        });
      }
      const contacts = [
        ...Array.from({ length: env.DEMO_CONTACTS - special.length }, (_, index) => ({
          email: `contact${index + 1}-${run}@example.com`,
          first_name: `Contact${index + 1}`,
          company: index % 2 ? 'Acme' : null,
        })),
        ...special,
      ];
      await api('POST', `/sequences/${String(sequence['id'])}/contacts`, { contacts });
      // Every enrollment is a trace of its own: the greylisted contact's shows a retry, then the follow-ups.
      const { rows: traced } = await sql<{ traceparent: string | null }>`
        select e.trace_context->>'traceparent' as traceparent from email_queues e
        join contacts c on c.id = e.contact_id
        where e.sequence_id = ${sequence['id']} and c.email = ${`greylisted-${run}@example.com`}
      `.execute(db);
      const traceId = traced[0]?.traceparent?.split('-')[1];

      say();
      say('Outflow demo is running (Ctrl-C stops everything):');
      say(`  API              ${pipeline.apiUrl}/api/v1`);
      say(`  API key          ${key}`);
      say(`  API reference    ${pipeline.apiUrl}/api/v1/docs`);
      say(`  Received mail    ${stack.endpoints.mailViewerUrl}`);
      if (stack.endpoints.zipkinUrl && traceId) {
        say(
          `  One email traced ${stack.endpoints.zipkinUrl}/zipkin/traces/${traceId}  (greylisted: retried, then followed up)`,
        );
      }
      say(
        `  Sequence         ${String(sequence['id'])}: 3 steps, ${contacts.length} contacts, a "day" is ${env.DEMO_DAY_SECONDS} s`,
      );
      say(
        `  Try              curl -H "Authorization: Bearer ${key}" ${pipeline.apiUrl}/api/v1/sequences/${String(sequence['id'])}`,
      );
      say();

      const total = contacts.length;
      let last = '';
      const timer = setInterval(() => {
        void sql<{ completed: number; bounced: number; replied: number; sent: number }>`
          select
            (select count(*)::int from sequence_contacts where sequence_id = ${sequence['id']} and status = 'completed') as completed,
            (select count(*)::int from sequence_contacts where sequence_id = ${sequence['id']} and status = 'bounced') as bounced,
            (select count(*)::int from sequence_contacts where sequence_id = ${sequence['id']} and status = 'replied') as replied,
            (select count(*)::int from email_queues where sequence_id = ${sequence['id']} and status = 'sent') as sent
        `
          .execute(db)
          .then(({ rows }) => {
            const { completed, bounced, replied, sent } = rows[0]!;
            const line =
              `progress: ${sent} emails sent, ${completed}/${total} enrollments completed, ${bounced} bounced` +
              (imap ? `, ${replied} replied` : '');
            if (line !== last) say(line);
            last = line;
            if (completed + bounced + replied === total) {
              clearInterval(timer);
              say(`demo complete: every enrollment finished. Browse ${stack.endpoints.mailViewerUrl}; Ctrl-C to stop.`);
              // What to try next: the ops CLI on what the demo just did (docs/cli.md has every command).
              const cli = 'npm run -s outflow --';
              say();
              say('Next, in another terminal of this checkout (the CLI reads the same settings as the services):');
              say(
                `  set -a; . ${join(stateDir, 'stack.env')}; set +a; export OUTFLOW_DAY_SECONDS=${env.DEMO_DAY_SECONDS}`,
              );
              say(`  ${cli} stats                                    the queue, the last hour, each mailbox today`);
              say(`  ${cli} failed                                   the unknown address, given up on`);
              say(`  ${cli} explain unknown-${run}@example.com   why it was not delivered, and what to do`);
              say(`  ${cli} explain greylisted-${run}@example.com   its retry and follow-ups`);
              if (imap) say(`  ${cli} explain ${replier}     replied: the rest of the sequence cancelled`);
              say(`  ${cli} dead-letters list                        messages no consumer could handle (none here)`);
              say(`  ${cli} --help                                   every command; docs/cli.md shows their output`);
            }
          })
          .catch((error: unknown) => logger.warn({ err: error }, 'progress query failed'));
      }, 1_000);
      stoppers.unshift({ name: 'progress', stop: async () => clearInterval(timer) });
      return stoppers;
    } catch (error) {
      for (const stopper of stoppers) await stopper.stop().catch(() => undefined);
      throw error;
    }
  },
});
