import { loadSequence, type FaultEnvironment } from '../fault-environment.js';
import { sinkReaches, stopService, type Scenario } from '../scenario-kit.js';

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

export const backlogSenderKill9: Scenario = {
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
};
