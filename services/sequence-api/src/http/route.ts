import { Router, type RequestHandler, type Response } from 'express';
import type { z } from '@outflow/config';
import { validate } from './validate.js';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Parsed<Schema> = Schema extends z.ZodType ? z.output<Schema> : undefined;

/** An error status a route may answer beside the ones every route may (400, 401, 403, 429, 500). */
export type ErrorStatus = 404 | 409 | 413 | 415 | 422;

/**
 * One endpoint: its input schemas validate the request and describe it in the OpenAPI document, its response
 * schemas describe what it answers (the document's test holds real responses against them). Routes are built
 * only from these, so the document cannot miss one.
 */
export interface Route<
  Params extends z.ZodObject | undefined = z.ZodObject | undefined,
  Query extends z.ZodObject | undefined = z.ZodObject | undefined,
  Body extends z.ZodType | undefined = z.ZodType | undefined,
> {
  method: Method;
  /** The path under /api/v1, with parameters in OpenAPI's braces: `/sequences/{id}`. */
  path: string;
  /** Groups the operation in the docs page. */
  tag: string;
  summary: string;
  description?: string;
  params?: Params;
  query?: Query;
  body?: Body;
  /** Takes an Idempotency-Key header: a retried request answers the first one's response. */
  idempotent?: boolean;
  responses: Partial<Record<200 | 201, { description: string; schema: z.ZodType }>>;
  errors?: ErrorStatus[];
  handle(input: { params: Parsed<Params>; query: Parsed<Query>; body: Parsed<Body> }, res: Response): Promise<void>;
}

/** Keeps the schemas' types for the handler's input while the list of routes stays one type. */
export function defineRoute<
  Params extends z.ZodObject | undefined = undefined,
  Query extends z.ZodObject | undefined = undefined,
  Body extends z.ZodType | undefined = undefined,
>(route: Route<Params, Query, Body>): Route {
  return route as unknown as Route;
}

function parse(schema: z.ZodType | undefined, input: unknown, what: string): unknown {
  return schema ? validate(schema, input, what) : undefined;
}

/** Mounts the routes on a router; `idempotent` runs before the routes that take an Idempotency-Key. */
export function routerOf(routes: readonly Route[], idempotent: RequestHandler): Router {
  const router = Router();
  for (const route of routes) {
    const path = route.path.replace(/\{(\w+)\}/g, ':$1');
    router[route.method](path, ...(route.idempotent ? [idempotent] : []), async (req, res) => {
      const input = {
        params: parse(route.params, req.params, 'path'),
        query: parse(route.query, req.query, 'query'),
        body: parse(route.body, req.body, 'request body'),
      };
      await route.handle(input as Parameters<Route['handle']>[0], res);
    });
  }
  return router;
}
