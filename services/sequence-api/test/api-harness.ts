import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { createSecretBox, unsubscribeTokens, type OutflowMode, type UnsubscribeTokens } from '@outflow/config';
import { createApiKey, createDb, serviceRoles } from '@outflow/db';
import { defaultSmtpPorts, smtpTargetEnv } from '@outflow/smtp-target';
import { createTestDatabase, type TestDatabase } from '@outflow/db/testing';
import { testLogger } from '@outflow/stack';
import { createApp } from '../src/app.js';
import { OpenApiConformance, type OpenApiDocument } from './openapi-conformance.js';

type Json = Record<string, unknown> & {
  error?: { code: string; message: string; details?: Array<Record<string, unknown>> };
};

interface ApiResponse {
  status: number;
  replayed: boolean;
  headers: Headers;
  body: Json;
}

/** The API on a fresh database of its own, on a free port, with one key; `close` stops it and drops the database. */
export interface ApiHarness {
  database: TestDatabase;
  base: string;
  key: string;
  call(
    method: string,
    path: string,
    body?: unknown,
    auth?: string | null,
    extraHeaders?: Record<string, string>,
  ): Promise<ApiResponse>;
  /** Every response of `call` was checked against the served OpenAPI document; this says which were seen. */
  conformance: OpenApiConformance;
  /** Makes unsubscribe tokens as the sender does (same keys). */
  unsubscribe: UnsubscribeTokens;
  tableCounts(): Promise<Record<string, number> | undefined>;
  /** Creates the mailbox the tests send from (with a password, to check it never comes back); returns its id. */
  createMailbox(): Promise<string>;
  close(): Promise<void>;
}

/**
 * Development mode by default, as the local stack runs: mailboxes may point at SMTP servers on this machine.
 * Production mode applies the SMTP target policy and refuses credentials in clear.
 */
export async function startApiHarness(
  name: string,
  { mode = 'development', rateLimitPerMinute }: { mode?: OutflowMode; rateLimitPerMinute?: number } = {},
): Promise<ApiHarness> {
  const database = await createTestDatabase();
  const secretKeys = new Map([['k1', Buffer.alloc(32, 7)]]);
  const secrets = createSecretBox(secretKeys, 'k1');
  const tokens = unsubscribeTokens(secretKeys, 'k1');
  // As in production: the API's statements run as its role, under the workspace policies.
  const apiDb = createDb({ url: database.url, maxConnections: 5, role: serviceRoles.api });
  const app = createApp({
    db: apiDb,
    secrets,
    unsubscribeTokens: tokens,
    logger: testLogger(name),
    daySeconds: 86_400,
    mode,
    ...(rateLimitPerMinute ? { rateLimitPerMinute } : {}),
    smtpTargets: {
      anyTarget: mode === 'development',
      ports: new Set(defaultSmtpPorts),
      networks: smtpTargetEnv.SMTP_ALLOWED_NETWORKS.parse('192.0.2.25/32'),
    },
  });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  const key = (await createApiKey(database.db, 'test')).key;
  const conformance = new OpenApiConformance((await (await fetch(`${base}/openapi.json`)).json()) as OpenApiDocument);
  const harness: ApiHarness = {
    database,
    base,
    key,
    conformance,
    unsubscribe: tokens,
    async call(method, path, body, auth = key, extraHeaders = {}) {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          ...(auth === null ? {} : { authorization: `Bearer ${auth}` }),
          ...extraHeaders,
        },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const json = (await response.json()) as Json;
      conformance.check(method, path, response.status, json);
      return {
        status: response.status,
        replayed: response.headers.get('idempotent-replayed') === 'true',
        headers: response.headers,
        body: json,
      };
    },
    async tableCounts() {
      const { rows } = await sql<Record<string, number>>`
        select (select count(*)::int from mailboxes) as mailboxes, (select count(*)::int from sequences) as sequences,
          (select count(*)::int from steps) as steps, (select count(*)::int from contacts) as contacts,
          (select count(*)::int from sequence_contacts) as enrollments, (select count(*)::int from email_queues) as emails
      `.execute(database.db);
      return rows[0];
    },
    async createMailbox() {
      const mailbox = await harness.call('POST', '/mailboxes', {
        email: 'sender@outflow.test',
        smtp_host: '192.0.2.25', // nothing connects: no sender runs here (TEST-NET-1, allowed as a literal below)
        smtp_port: 587,
        smtp_username: 'sender',
        smtp_password: 'hunter2-secret',
      });
      if (mailbox.status !== 201) throw new Error(`creating the test mailbox answered ${mailbox.status}`);
      return String(mailbox.body['id']);
    },
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await apiDb.destroy();
      await database.drop();
    },
  };
  return harness;
}
