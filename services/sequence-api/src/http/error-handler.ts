import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '@outflow/telemetry';
import { ApiError } from './api-error.js';

interface HttpError extends Error {
  status?: number;
  type?: string;
  code?: string;
  constraint?: string;
}

/** Unknown routes are JSON 404s like every other error. */
export const notFoundHandler: RequestHandler = (req) => {
  throw new ApiError(404, 'not_found', `no route for ${req.method} ${req.path}`);
};

/**
 * Turns every error into `{error: {code, message, details?}}`: our ApiErrors as they are, malformed JSON and
 * oversized bodies as 400/413, database constraint violations as 400/409, anything else as a logged 500 that
 * reveals nothing.
 */
export function createErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: HttpError, req, res, _next) => {
    let status = 500;
    let body: { code: string; message: string; details?: unknown } = {
      code: 'internal_error',
      message: 'internal error',
    };
    if (error instanceof ApiError) {
      status = error.status;
      body = {
        code: error.code,
        message: error.message,
        ...(error.details === undefined ? {} : { details: error.details }),
      };
    } else if (error.type === 'entity.parse.failed') {
      status = 400;
      body = { code: 'invalid_json', message: 'request body is not valid JSON' };
    } else if (error.type === 'entity.too.large') {
      status = 413;
      body = { code: 'body_too_large', message: 'request body is too large' };
    } else if (error.type === 'encoding.unsupported' || error.type === 'charset.unsupported') {
      status = 415;
      body = { code: 'unsupported_encoding', message: error.message };
    } else if (error.code === '23505') {
      status = 409;
      body = { code: 'conflict', message: `already exists (${error.constraint ?? 'unique'})` };
    } else if (error.code === '23514' || error.code === '22P02' || error.code === '23503') {
      status = 400;
      body = { code: 'invalid_request', message: `rejected by the database (${error.constraint ?? error.code})` };
    }
    if (status >= 500) logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
    res.status(status).json({ error: body });
  };
}
