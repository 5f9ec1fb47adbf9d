import { sql } from 'kysely';

import type { Database } from '@outflow/db';

import { renderEmail, type ContentFormat } from '@outflow/templates';

/** What sending one due email needs, read with one query: the references start from the same rows Outflow does. */
export interface DueEmail {
  id: string;
  to: string;
  first_name: string | null;
  last_name: string | null;
  company: string | null;
  fields: unknown;
  subject: string;
  content: string;
  content_format: string;
  mailbox_id: string;
  mailbox_email: string;
  mailbox_display_name: string | null;
  smtp_host: string;
  smtp_port: number;
}

/** The SQL both references use for one email (the job queue per job) or for all of them (the bare transport). */
export const dueEmailSelect = `
  select e.id, c.email as "to", c.first_name, c.last_name, c.company, c.fields,
    s.subject, s.content, s.content_format::text as content_format,
    m.id as mailbox_id, m.email as mailbox_email, m.display_name as mailbox_display_name, m.smtp_host, m.smtp_port
  from email_queues e
  join contacts c on c.id = e.contact_id
  join steps s on s.id = e.step_id
  join mailboxes m on m.id = e.mailbox_id`;

export async function loadDueEmails(db: Database, sequenceId: string): Promise<DueEmail[]> {
  const { rows } = await sql<DueEmail>`${sql.raw(dueEmailSelect)}
    where e.sequence_id = ${sequenceId} and e.status = 'scheduled' and e.scheduled_for <= now()`.execute(db);
  return rows;
}

/** A message as nodemailer takes it: rendered by Outflow's own renderer, with the header the sink counts by. */
export interface RenderedMessage {
  mailboxId: string;
  smtp: { host: string; port: number };
  from: { name: string; address: string };
  to: string;
  subject: string;
  text: string;
  html?: string;
  messageId: string;
  headers: Record<string, string>;
}

export async function renderDueEmail(email: DueEmail): Promise<RenderedMessage> {
  const rendered = await renderEmail(
    { subject: email.subject, content: email.content, format: email.content_format as ContentFormat },
    {
      email: email.to,
      first_name: email.first_name,
      last_name: email.last_name,
      company: email.company,
      fields: (email.fields ?? {}) as Record<string, unknown>,
    },
  );
  const domain = email.mailbox_email.split('@')[1] ?? 'outflow.local';
  return {
    mailboxId: email.mailbox_id,
    smtp: { host: email.smtp_host, port: email.smtp_port },
    from: { name: email.mailbox_display_name ?? '', address: email.mailbox_email },
    to: email.to,
    subject: rendered.subject,
    text: rendered.text,
    ...(rendered.html ? { html: rendered.html } : {}),
    messageId: `<${email.id}.1@${domain}>`,
    headers: { 'X-Outflow-Email-Id': email.id },
  };
}
