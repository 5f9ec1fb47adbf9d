import { startSmtpSink, type ServiceName } from '@outflow/stack';
import { loadSequence, type FaultEnvironment } from './fault-environment.js';
import { settle, sinkReaches, type Scenario } from './scenario-kit.js';

// What surrounds the pipeline failing or crawling: the schema registry gone, SMTP servers that greet after
// seconds, and a large backlog drained by a sender that keeps dying.

/**
 * Starts a service again as Kubernetes would after a crash: again and again, a second apart, until it starts.
 * Resolves with how many starts failed first.
 */
async function restartUntilStarted(environment: FaultEnvironment, name: ServiceName): Promise<number> {
  let failed = 0;
  for (;;) {
    try {
      await environment.pipeline.restart(name);
      return failed;
    } catch {
      failed += 1;
      if (failed > 300) throw new Error(`${name} did not start in 300 attempts`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

async function stopService(environment: FaultEnvironment, name: ServiceName, signal: NodeJS.Signals): Promise<void> {
  const process = environment.pipeline.processes.get(name)!;
  process.kill(signal);
  await process.waitForExit(30_000);
}

/** The time from `from` until the last of `messages` arrived, or undefined when none did. */
function arrivalMs(messages: readonly { receivedAt: Date }[], from: number): number | undefined {
  if (messages.length === 0) return undefined;
  return Math.max(...messages.map((message) => message.receivedAt.getTime())) - from;
}

export const outageScenarios: Scenario[] = [
  {
    name: 'registry-down',
    description:
      'the schema registry unreachable mid-run; the sender and the follow-up scheduler restarted during the outage (they cannot start without it, and are started again until they do)',
    run: async (environment, options) => {
      const contacts = options.size === 'quick' ? 60 : 1_000;
      const outageMs = options.size === 'quick' ? 10_000 : 30_000;
      const sequenceId = await loadSequence(environment, { contacts, steps: 2 });
      await sinkReaches(environment, Math.floor(contacts / 2));
      await environment.stack.registry.goDown();
      const downAt = Date.now();
      const restarted: ServiceName[] = ['smtp-sender', 'followup-scheduler'];
      for (const name of restarted) await stopService(environment, name, 'SIGKILL');
      const starting = restarted.map((name) => restartUntilStarted(environment, name));
      // The fault is the outage itself: a fixed length, not a wait for something to happen.
      await new Promise((resolve) => setTimeout(resolve, outageMs - (Date.now() - downAt)));
      const sentDuringOutage = environment.stack.smtp.messages.filter(
        (message) => message.receivedAt.getTime() >= downAt,
      ).length;
      await environment.stack.registry.comeBack();
      const lastFaultAt = Date.now();
      const failedStarts = await Promise.all(starting);
      return {
        sequenceIds: [sequenceId],
        lastFaultAt,
        details: {
          outageMs,
          sentDuringOutage,
          failedStarts: Object.fromEntries(restarted.map((name, index) => [name, failedStarts[index]])),
          startedAfterComeBackMs: Date.now() - lastFaultAt,
        },
      };
    },
  },
  {
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
  },
  {
    name: 'backlog-sender-kill-9',
    description:
      'a backlog of due emails (1e5 at full size) built while the sender is down (up to PRODUCER_MAX_QUEUED jobs waiting in Kafka, the rest in the database), drained by a sender killed -9 five times',
    // A backlog drains over minutes: with the suite's 2 s, every waiting job would be published again ~6 times.
    env: { PRODUCER_REPUBLISH_AFTER_MS: '60000' },
    run: async (environment, options) => {
      const contacts = options.size === 'quick' ? 3_000 : 100_000;
      const kills = 5;
      await stopService(environment, 'smtp-sender', 'SIGTERM');
      const sequenceId = await loadSequence(environment, { contacts, steps: 1, mailboxes: 10 });
      // The backlog: jobs waiting in the topic (as many as the producer lets wait there), the rest due in the database.
      const backlogAt = Date.now();
      const inKafka = await waitForClaims(environment, sequenceId, contacts);
      const backlogBuiltMs = Date.now() - backlogAt;
      await environment.pipeline.restart('smtp-sender');
      const drainStart = Date.now();
      let lastFaultAt = Date.now();
      for (let kill = 1; kill <= kills; kill++) {
        await sinkReaches(environment, Math.floor((contacts * kill) / (kills + 1)));
        environment.pipeline.processes.get('smtp-sender')!.kill('SIGKILL');
        await environment.pipeline.restart('smtp-sender');
        lastFaultAt = Date.now();
      }
      return {
        sequenceIds: [sequenceId],
        lastFaultAt,
        details: {
          backlog: contacts,
          jobsWaitingInKafka: inKafka,
          kills,
          backlogBuiltMs,
          drainToLastKillMs: lastFaultAt - drainStart,
        },
      };
    },
  },
];

/**
 * Waits until the producer has claimed (and published) all it will while no sender runs: every email, or as many
 * as PRODUCER_MAX_QUEUED lets wait in Kafka at once (the rest waits in the database), seen as a count that stopped
 * growing. Returns how many were claimed.
 */
async function waitForClaims(environment: FaultEnvironment, sequenceId: string, expected: number): Promise<number> {
  const deadline = Date.now() + 10 * 60_000;
  let last = -1;
  let stableSince = Date.now();
  for (;;) {
    const row = await environment.database.db
      .selectFrom('email_queues')
      .select((eb) => [eb.fn.countAll<string>().as('all'), eb.fn.count<string>('claim_token').as('claimed')])
      .where('sequence_id', '=', sequenceId)
      .executeTakeFirstOrThrow();
    const claimed = Number(row.claimed);
    if (claimed >= expected) return claimed;
    if (claimed !== last) {
      last = claimed;
      stableSince = Date.now();
    } else if (claimed > 0 && Date.now() - stableSince >= 3_000) {
      return claimed;
    }
    if (Date.now() > deadline) throw new Error(`only ${claimed} of ${expected} emails claimed in 10 min`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
