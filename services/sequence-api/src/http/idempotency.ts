import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { sql, type Transaction } from 'kysely';
import { inWorkspace, type Database, type DB } from '@outflow/db';
import type { Logger } from '@outflow/telemetry';
import { ApiError } from './api-error.js';
import { requestWorkspace } from './workspace.js';

/**
 * Idempotency-Key for create calls. The first request with a key is processed and its answer stored (unless it
 * failed with a 5xx, which may be retried); a repeat with the same key and the same body gets the stored answer
 * (header Idempotent-Replayed: true), so a double click or a client retry never creates twice. The same key with
 * another body is 422; a repeat while the first is still running is 409. Keys are scoped to the API key.
 *
 * A key is kept for `keyLifetimeSeconds` (24 h, as payment APIs do): after that it is free again, and expired
 * keys are deleted a few at a time by the requests that claim new ones, so the table holds about a day of keys.
 * A request still unanswered `abandonedAfterSeconds` after it began is taken as lost (its process died before
 * answering, or its answer could not be stored): its key can be claimed again instead of answering 409 forever.
 */
const keyLifetimeSeconds = 24 * 3_600;
const abandonedAfterSeconds = 600;
const expiredDeletedPerClaim = 100;

export function idempotencyKeys(db: Database, logger: Logger): RequestHandler {
  return async (req, res, next) => {
    const key = req.get('idempotency-key');
    if (key === undefined) return next();
    if (key.length < 1 || key.length > 255) {
      throw new ApiError(400, 'invalid_request', 'Idempotency-Key must be 1 to 255 characters');
    }
    const apiKeyId = res.locals['apiKeyId'] as string;
    const workspaceId = requestWorkspace(res);
    const path = req.originalUrl.split('?')[0]!;
    const requestHash = createHash('sha256')
      .update(`${req.method} ${path}\n${JSON.stringify(req.body ?? null)}`)
      .digest('hex');
    const claimed = await inWorkspace(db, workspaceId, async (trx) => {
      const row = await trx
        .insertInto('idempotency_keys')
        .values({ api_key_id: apiKeyId, key, method: req.method, path, request_hash: requestHash })
        .onConflict((conflict) =>
          conflict
            .columns(['api_key_id', 'key'])
            .doUpdateSet({
              method: req.method,
              path,
              request_hash: requestHash,
              status_code: null,
              response: null,
              created_at: sql<Date>`now()`,
            })
            .where((row) =>
              row.or([
                row(
                  'idempotency_keys.created_at',
                  '<',
                  sql<Date>`now() - make_interval(secs => ${keyLifetimeSeconds})`,
                ),
                row.and([
                  row('idempotency_keys.status_code', 'is', null),
                  row(
                    'idempotency_keys.created_at',
                    '<',
                    sql<Date>`now() - make_interval(secs => ${abandonedAfterSeconds})`,
                  ),
                ]),
              ]),
            ),
        )
        .returning('key')
        .executeTakeFirst();
      if (row) await deleteSomeExpiredKeys(trx);
      return row;
    });
    if (!claimed) {
      const first = await inWorkspace(db, workspaceId, (trx) =>
        trx
          .selectFrom('idempotency_keys')
          .select(['request_hash', 'status_code', 'response'])
          .where('api_key_id', '=', apiKeyId)
          .where('key', '=', key)
          .executeTakeFirst(),
      );
      if (!first)
        throw new ApiError(409, 'request_in_progress', 'a request with this Idempotency-Key just failed; retry it');
      if (first.request_hash !== requestHash) {
        throw new ApiError(422, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request');
      }
      if (first.status_code === null) {
        throw new ApiError(409, 'request_in_progress', 'a request with this Idempotency-Key is still being processed');
      }
      res.status(first.status_code).set('Idempotent-Replayed', 'true').json(first.response);
      return;
    }

    // Store the answer before sending it, so a retry that arrives right after the response finds it.
    const send = res.json.bind(res);
    res.json = (body: unknown) => {
      const status = res.statusCode;
      const store = inWorkspace(db, workspaceId, async (trx): Promise<unknown> =>
        status >= 500
          ? trx.deleteFrom('idempotency_keys').where('api_key_id', '=', apiKeyId).where('key', '=', key).execute()
          : trx
              .updateTable('idempotency_keys')
              .set({ status_code: status, response: JSON.stringify(body) })
              .where('api_key_id', '=', apiKeyId)
              .where('key', '=', key)
              .execute(),
      );
      store.then(
        () => send(body),
        (error: unknown) => {
          logger.error({ err: error }, 'storing an idempotent response failed');
          send(body);
        },
      );
      return res;
    };
    next();
  };
}

async function deleteSomeExpiredKeys(db: Database | Transaction<DB>): Promise<void> {
  await sql`
    delete from idempotency_keys where ctid = any (array(
      select ctid from idempotency_keys
      where created_at < now() - make_interval(secs => ${keyLifetimeSeconds})
      limit ${expiredDeletedPerClaim}
    ))
  `.execute(db);
}
