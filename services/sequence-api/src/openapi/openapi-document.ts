import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import { z } from '@outflow/config';
import type { ErrorStatus, Route } from '../http/route.js';
import { errorResponse } from '../http/schemas.js';

const errorMeanings: Record<number, string> = {
  400: 'Invalid request: `error.details` lists each field at fault',
  401: 'Missing, invalid, revoked or expired API key',
  403: 'The API key lacks the scope (read or write) this needs',
  404: 'No such resource in the key’s workspace',
  409: 'Conflict: already exists, or a request with this Idempotency-Key is still being processed',
  413: 'Request body over 2 MB',
  415: 'Request body in an unsupported encoding',
  422: 'This Idempotency-Key was used with a different request',
  429: 'Over the API key’s rate limit: retry after `Retry-After` seconds',
  500: 'Internal error (logged; the answer reveals nothing)',
};

/** The error statuses a route may answer: the ones every route may, and those its input and options add. */
function errorStatusesOf(route: Route): number[] {
  const statuses = new Set<number>([400, 401, 403, 429, 500, ...(route.errors ?? [])]);
  const extra: ErrorStatus[] = [
    ...(route.body ? ([413, 415] as const) : []),
    ...(route.idempotent ? ([409, 422] as const) : []),
  ];
  for (const status of extra) statuses.add(status);
  return [...statuses].sort((a, b) => a - b);
}

const idempotencyHeader = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .optional()
    .meta({
      description:
        'Any unique string (a UUID): a retry with the same key and body answers the first response, with ' +
        '`Idempotent-Replayed: true`, and creates nothing twice.',
    }),
});

function operationOf(route: Route): ZodOpenApiOperationObject {
  const json = (schema: z.ZodType) => ({ content: { 'application/json': { schema } } });
  const responses: ZodOpenApiOperationObject['responses'] = {};
  for (const [status, { description, schema }] of Object.entries(route.responses)) {
    responses[status as '200'] = { description, ...json(schema) };
  }
  for (const status of errorStatusesOf(route)) {
    responses[String(status) as '400'] = { description: errorMeanings[status]!, ...json(errorResponse) };
  }
  return {
    operationId: `${route.method}${route.path.replace(/\{(\w+)\}/g, 'By-$1').replace(/[/-](\w)/g, (_m, c: string) => c.toUpperCase())}`,
    tags: [route.tag],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    requestParams: {
      ...(route.params ? { path: route.params } : {}),
      ...(route.query ? { query: route.query } : {}),
      ...(route.idempotent ? { header: idempotencyHeader } : {}),
    },
    ...(route.body
      ? // A body with defaults for everything may be left out.
        { requestBody: { required: !route.body.safeParse(undefined).success, ...json(route.body) } }
      : {}),
    responses,
  };
}

/** The API's OpenAPI 3.1 document, made from the routes' own zod schemas. */
export function openApiDocument(routes: readonly Route[]): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) paths[route.path] = { ...paths[route.path], [route.method]: operationOf(route) };
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Outflow API',
      version: '1',
      description:
        'Mailboxes, sequences, enrollments and emails of one workspace: the API key chooses which. ' +
        'Every error answers `{error: {code, message, details?}}`.',
    },
    servers: [{ url: '/api/v1' }],
    security: [{ apiKey: [] }],
    components: {
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key made with `outflow api-key create`: `Authorization: Bearer <key>`.',
        },
      },
    },
    paths,
  });
}
