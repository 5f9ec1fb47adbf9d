import { startSmtpSink } from '@outflow/stack';
import { loadSequence } from '../fault-environment.js';
import { settle, type Scenario } from '../scenario-kit.js';

/** The time from `from` until the last of `messages` arrived, or undefined when none did. */
function arrivalMs(messages: readonly { receivedAt: Date }[], from: number): number | undefined {
  if (messages.length === 0) return undefined;
  return Math.max(...messages.map((message) => message.receivedAt.getTime())) - from;
}

export const smtpTarpit: Scenario = {
  name: 'smtp-tarpit',
  description:
    'many mailboxes on an SMTP server that greets every connection after 10 s, beside one healthy mailbox: all of it delivered once; the details say how long the healthy mailbox took beside the tarpit',
  // The production timeout: a greeting after 10 s is slow, not dead (the suite's 1.5 s would call it dead).
  env: { SMTP_TIMEOUT_MS: '30000' },
  run: async (environment, options) => {
    const greetingDelayMs = 10_000;
    const tarpit = await startSmtpSink({ greetingDelayMs });
    environment.extraSinks.push(tarpit);
    const slowMailboxes = options.size === 'quick' ? 10 : 50;
    const slowContacts = options.size === 'quick' ? 60 : 500;
    const healthyContacts = options.size === 'quick' ? 60 : 1_000;
    const startedAt = Date.now();
    const slow = await loadSequence(environment, {
      contacts: slowContacts,
      steps: 1,
      mailboxes: slowMailboxes,
      smtp: tarpit,
    });
    const healthy = await loadSequence(environment, { contacts: healthyContacts, steps: 2 });
    await settle(environment, [slow, healthy], 180_000);
    const healthyMs = arrivalMs(environment.stack.smtp.messages, startedAt);
    const tarpitMs = arrivalMs(tarpit.messages, startedAt);
    return {
      sequenceIds: [slow, healthy],
      lastFaultAt: Date.now(),
      details: {
        greetingDelayMs,
        slowMailboxes,
        slowEmails: slowContacts,
        healthyEmails: healthyContacts * 2,
        healthyAllArrivedMs: healthyMs,
        tarpitAllArrivedMs: tarpitMs,
        tarpitPeakConnections: tarpit.connections().peak,
      },
    };
  },
};
