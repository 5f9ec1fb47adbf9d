import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { ApiError } from './api-error.js';

/**
 * At most `perMinute` requests per API key in any minute of this API process; beyond it 429 with `Retry-After`
 * (seconds until the window frees) and the `RateLimit` headers (IETF draft 8). Counted in memory: with several API
 * replicas each counts its own share, so a key gets up to replicas × perMinute (docs/security.md).
 */
export function rateLimitPerKey(perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (_req, res) => String(res.locals['apiKeyId']),
    handler: (_req, res, next) => {
      const retryAfter = res.getHeader('Retry-After');
      next(
        new ApiError(
          429,
          'rate_limited',
          `this API key made more than ${perMinute} requests in a minute; retry after ${String(retryAfter)} s`,
        ),
      );
    },
  });
}
