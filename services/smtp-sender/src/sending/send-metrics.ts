import type { Counter, Histogram, Metrics } from '@outflow/telemetry';

/** The class of an SMTP failure: a 4xx or 5xx reply, or `connection` when no reply code came (refused, reset, timeout). */
export function smtpFailureClass(smtpCode: number | null): '4xx' | '5xx' | 'connection' {
  if (smtpCode !== null && smtpCode >= 400 && smtpCode < 500) return '4xx';
  if (smtpCode !== null && smtpCode >= 500 && smtpCode < 600) return '5xx';
  return 'connection';
}

/** The sender's own metrics (beside Node's runtime metrics every service exports). */
export interface SendMetrics {
  sent: Counter;
  failed: Counter<'class'>;
  suppressed: Counter;
  deferred: Counter;
  smtpSeconds: Histogram;
}

export function createSendMetrics(metrics: Metrics): SendMetrics {
  return {
    sent: metrics.counter({
      name: 'outflow_emails_sent_total',
      help: 'Emails the SMTP server accepted that the sender recorded as sent.',
    }),
    failed: metrics.counter<'class'>({
      name: 'outflow_send_failures_total',
      help: 'Send attempts that failed, by class: 4xx or 5xx SMTP reply, connection (no reply code), render (the message could not be built), uncertain (no reply after the message body).',
      labelNames: ['class'],
      labelValues: { class: ['4xx', '5xx', 'connection', 'render', 'uncertain'] },
    }),
    suppressed: metrics.counter({
      name: 'outflow_emails_suppressed_total',
      help: 'Emails cancelled right before SMTP because their address was suppressed after they were queued.',
    }),
    deferred: metrics.counter({
      name: 'outflow_emails_deferred_total',
      help: "Emails claimed outside their send window (held by capacity, pacing or a backlog) and moved back to wait for the window's next opening.",
    }),
    smtpSeconds: metrics.histogram({
      name: 'outflow_smtp_send_duration_seconds',
      help: 'The SMTP hand-over of one message on a reserved connection, from MAIL FROM to the final reply (or the failure).',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    }),
  };
}
