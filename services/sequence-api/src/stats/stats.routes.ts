import { readStats, type Database } from '@outflow/db';
import { defineRoute, type Route } from '../http/route.js';
import { inRequestWorkspace } from '../http/workspace.js';
import { statsSchema } from './stats.schema.js';

export function statsRoutes(deps: { db: Database; daySeconds: number }): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/stats',
      tag: 'Stats',
      summary: "The workspace's queue, last hour and mailbox capacity",
      description:
        'What `outflow stats --json` prints, for dashboards: emails with work ahead by delivery status, the last ' +
        "hour's outcomes and SMTP times, and each mailbox's capacity used on its local day.",
      responses: { 200: { description: 'The figures', schema: statsSchema } },
      async handle(_input, res) {
        res.json(
          await inRequestWorkspace(deps.db, res, (db) =>
            readStats(db, { daySeconds: deps.daySeconds, windowSeconds: 3_600 }),
          ),
        );
      },
    }),
  ];
}
