import type { RequestHandler } from 'express';
import { findActiveApiKey, type Database } from '@outflow/db';
import { ApiError } from './api-error.js';

/** Every route needs `Authorization: Bearer <key>` with an active API key (created by `pnpm outflow api-key create`). */
export function requireApiKey(db: Database): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization');
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new ApiError(401, 'unauthorized', 'missing Authorization: Bearer <api key>');
    const apiKey = await findActiveApiKey(db, match[1]!);
    if (!apiKey) throw new ApiError(401, 'unauthorized', 'invalid or revoked API key');
    res.locals['apiKeyId'] = apiKey.id;
    next();
  };
}
