import type { Command } from '@commander-js/extra-typings';
import { dayEnv, parseEnv } from '@outflow/config';
import type { CliContext } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { explainEmail } from './explain-email.js';
import { latestEmailsOfContact, readEmailFacts } from './explain.repository.js';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function registerExplainCommand(program: Command, context: CliContext): void {
  program
    .command('explain')
    .description(
      'Why an email has not gone out (or when it did), in one paragraph from the database: its status, a paused ' +
        "sequence or mailbox, the mailbox's capacity until its day ends, the wait after the previous step, a " +
        "retry's backoff, a claim waiting for a sender. Given a contact's address: each of its enrollments' latest " +
        'email.',
    )
    .argument('<email-id | contact-address>', 'an email id, or a contact email address')
    .option('--json', 'print JSON (the state, the paragraph, the command that acts on it, and the facts)')
    .action(async (target, { json }) => {
      const { OUTFLOW_DAY_SECONDS } = parseEnv({ OUTFLOW_DAY_SECONDS: dayEnv.OUTFLOW_DAY_SECONDS });
      const db = await context.database();
      const isEmailId = uuidPattern.test(target);
      if (!isEmailId && !target.includes('@')) throw new CliError(`"${target}" is neither an email id nor an address`);
      const ids = isEmailId ? [target.toLowerCase()] : await latestEmailsOfContact(db, target);
      if (ids.length === 0) throw new CliError(`no enrollment of a contact ${target}`);
      const now = new Date();
      const explained = [];
      for (const id of ids) {
        const facts = await readEmailFacts(db, id, OUTFLOW_DAY_SECONDS);
        if (!facts) throw new CliError(`no email ${id}`);
        explained.push({ email: id, ...explainEmail(facts, now), facts });
      }
      if (json) {
        context.out.result(JSON.stringify(explained, null, 2));
        return;
      }
      for (const [index, { email, state, text, next }] of explained.entries()) {
        if (index > 0) context.out.result('');
        context.out.result(`${email} (${state}): ${text}`);
        if (next) context.out.result(`  next: ${next}`);
      }
    });
}
