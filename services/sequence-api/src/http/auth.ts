import type { RequestHandler } from 'express';
import { authenticateApiKey, type ApiKeyScope, type Database } from '@outflow/db';
import { ApiError } from './api-error.js';

/**
 * Every route needs `Authorization: Bearer <key>` with an active, unexpired API key (created by
 * `outflow api-key create`); the request then works in the key's workspace.
 */
export function requireApiKey(db: Database): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization');
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new ApiError(401, 'unauthorized', 'missing Authorization: Bearer <api key>');
    const apiKey = await authenticateApiKey(db, match[1]!);
    if (!apiKey) throw new ApiError(401, 'unauthorized', 'invalid or revoked API key');
    if (apiKey.expired) throw new ApiError(401, 'unauthorized', 'this API key has expired');
    res.locals['apiKeyId'] = apiKey.id;
    res.locals['workspaceId'] = apiKey.workspaceId;
    res.locals['scopes'] = apiKey.scopes;
    next();
  };
}

/** The scope a request needs: reads need `read`; mailboxes (SMTP hosts and credentials) `admin`; other changes `write`. */
function scopeFor(method: string, path: string): ApiKeyScope {
  if (method === 'GET' || method === 'HEAD') return 'read';
  return path === '/mailboxes' || path.startsWith('/mailboxes/') ? 'admin' : 'write';
}

export function requireScope(): RequestHandler {
  return (req, res, next) => {
    const needed = scopeFor(req.method, req.path);
    const scopes = res.locals['scopes'] as ApiKeyScope[];
    if (!scopes.includes(needed)) {
      throw new ApiError(403, 'forbidden', `this API key lacks the ${needed} scope (it has ${scopes.join(', ')})`);
    }
    next();
  };
}
