import type { Command } from '@commander-js/extra-typings';
import { countPrunable, pruneSome, retentionKinds, type RetentionKind } from '@outflow/db';
import { ageInDays, listOf, wholeNumber } from './arguments.js';
import type { CliContext } from './cli-context.js';
import { formatTable } from './output.js';
import { progressShown, startProgress } from './progress.js';

const dayMs = 86_400_000;

export function registerCleanupCommand(program: Command, context: CliContext): void {
  const { out } = context;
  program
    .command('cleanup')
    .description(
      'Prune what only grows: the delivery audit trail, the producer’s publish records (published or failed, never ' +
        'in flight), stored idempotent API answers and past days’ capacity counters (none with a reservation open). ' +
        'In small batches, each a short statement of its own: safe while the services run. The outbox is never ' +
        'pruned: it holds only messages not yet published.',
    )
    .option('--older-than <age>', 'what to keep, in days (at least 1d)', ageInDays(1), 30)
    .option('--only <kinds>', `some of ${retentionKinds.join(', ')} (default: all)`, listOf(retentionKinds))
    .option('--batch-size <n>', 'rows per statement (100 to 50000)', wholeNumber(100, 50_000), 1_000)
    .option('--dry-run', 'only count what would be deleted')
    .option('--json', 'print JSON')
    .action(async ({ olderThan, only, batchSize, dryRun, json }) => {
      const db = await context.database();
      const cutoff = new Date(Date.now() - olderThan * dayMs);
      const results: Array<{ kind: RetentionKind; rows: number }> = [];
      for (const kind of only ?? retentionKinds) {
        if (dryRun) {
          results.push({ kind, rows: await countPrunable(db, kind, cutoff) });
          continue;
        }
        // The count is a scan of its own: made only for a bar someone sees.
        const total = progressShown() ? await countPrunable(db, kind, cutoff) : 0;
        const progress = startProgress(total, `pruning ${kind}`);
        let deleted = 0;
        try {
          for (;;) {
            const round = await pruneSome(db, kind, cutoff, batchSize);
            deleted += round;
            progress.increment(round);
            if (round < batchSize) break;
          }
        } finally {
          progress.stop();
        }
        results.push({ kind, rows: deleted });
      }
      if (json) {
        out.result(JSON.stringify({ cutoff: cutoff.toISOString(), dryRun: dryRun ?? false, results }, null, 2));
        return;
      }
      out.info(`${dryRun ? 'would delete' : 'deleted'} rows from before ${cutoff.toISOString()}:`);
      for (const line of formatTable(results, [
        { header: 'KIND', value: (result) => result.kind },
        { header: dryRun ? 'WOULD DELETE' : 'DELETED', value: (result) => String(result.rows) },
      ])) {
        out.result(line);
      }
    });
}
