import { sql } from 'kysely';
import type { deadLetterTopic, PayloadOf, TopicName } from '@outflow/contracts';
import { prepared, type Database } from '@outflow/db';
import { startTicker, type Stopper } from '@outflow/runtime';
import { carrierOf, contextOf, type Logger, type Metrics, type TraceCarrier } from '@outflow/telemetry';
import type { TypedProducer } from './typed-producer.js';

/** Topics whose payloads are plain JSON (no bytes), so they survive a round trip through jsonb. */
type OutboxTopic = Exclude<TopicName, typeof deadLetterTopic>;

export interface OutboxMessage<T extends OutboxTopic = OutboxTopic> {
  topic: T;
  /** Stable across relays: consumers recognise a message published twice. */
  messageId: string;
  key: string;
  payload: PayloadOf<T>;
  /**
   * The trace the message continues, published as its parent. Default: the context active at enqueueOutbox,
   * the transaction's. Pass it when the writer is not the message's own (a statement shared by several sends).
   */
  trace?: TraceCarrier | null;
}

/** An outbox message of any topic, checked against its own topic's payload. */
export type AnyOutboxMessage = { [T in OutboxTopic]: OutboxMessage<T> }[OutboxTopic];

/**
 * Writes messages to the outbox with the caller's executor: pass the transaction that makes the state change the
 * messages announce, so both commit or neither does. Returns the row ids for publishOutbox, in the messages'
 * order. One array per column keeps the text the same for any count, so the statement is prepared once.
 */
export async function enqueueOutbox(db: Database, messages: readonly AnyOutboxMessage[]): Promise<string[]> {
  if (messages.length === 0) return [];
  const active = carrierOf();
  const traces = messages.map((message) => {
    const carrier = message.trace === undefined ? active : message.trace;
    return carrier ? JSON.stringify(carrier) : null;
  });
  const { rows } = await prepared(
    'enqueue-outbox',
    sql<{ id: string }>`
    with message as (
      select * from unnest(${messages.map((message) => message.topic)}::text[],
        ${messages.map((message) => message.key)}::text[], ${messages.map((message) => message.messageId)}::text[],
        ${messages.map((message) => JSON.stringify(message.payload))}::jsonb[], ${traces}::jsonb[])
        with ordinality as message(topic, message_key, message_id, payload, trace_context, position)
    ), inserted as (
      insert into outbox (topic, message_key, message_id, payload, trace_context)
      select topic, message_key, message_id, payload, trace_context from message order by position
      returning id
    )
    -- Identity values are drawn in insert order, which is the messages' order.
    select id::text as id from inserted order by id
  `,
  ).execute(db);
  return rows.map((row) => row.id);
}

interface OutboxRow {
  id: string;
  topic: OutboxTopic;
  message_key: string;
  message_id: string;
  payload: unknown;
  trace_context: unknown;
}

/**
 * Publishes outbox rows and deletes them, holding their row locks while producing: a concurrent relay skips them,
 * and if producing fails the transaction rolls back and the rows stay for the next attempt. A crash after the
 * produce but before the commit publishes them again later, which consumers tolerate (same message ids).
 */
async function publishRows(
  db: Database,
  producer: TypedProducer,
  select: (trx: Database) => Promise<OutboxRow[]>,
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const rows = await select(trx);
    if (rows.length === 0) return 0;
    const byTopic = new Map<OutboxTopic, OutboxRow[]>();
    for (const row of rows) byTopic.set(row.topic, [...(byTopic.get(row.topic) ?? []), row]);
    for (const [topic, topicRows] of byTopic) {
      await producer.send(
        topic,
        topicRows.map((row) => ({
          messageId: row.message_id,
          key: row.message_key,
          payload: row.payload as PayloadOf<typeof topic>,
          trace: { parent: contextOf(row.trace_context) },
        })),
      );
    }
    await prepared(
      'delete-outbox',
      sql`delete from outbox where id = any(${rows.map((row) => row.id)}::bigint[])`,
    ).execute(trx);
    return rows.length;
  });
}

/** The fast path right after a commit: publish these rows now (rows another relay holds are left to it). */
export async function publishOutbox(db: Database, producer: TypedProducer, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  return publishRows(db, producer, async (trx) => {
    const { rows } = await prepared(
      'select-outbox',
      sql<OutboxRow>`
      select id::text as id, topic, message_key, message_id, payload, trace_context from outbox
      where id = any(${ids.map(Number)}::bigint[]) order by id for update skip locked
    `,
    ).execute(trx);
    return rows;
  });
}

/**
 * The safety net: every `intervalMs`, publishes outbox rows older than `minAgeMs` (left by a process that died
 * between its commit and its produce, or whose produce failed). Stop waits for a running pass.
 */
export function startOutboxRelay(options: {
  db: Database;
  producer: TypedProducer;
  logger: Logger;
  /** Default 1 000 ms. */
  intervalMs?: number;
  /** Rows younger than this are left to their writer's fast path. Default 2 000 ms. */
  minAgeMs?: number;
  /** Rows per pass. Default 500. */
  batchSize?: number;
  /** Counts what the relay publishes (outflow_outbox_relayed_total). Default: not counted. */
  metrics?: Metrics;
}): Stopper {
  const relayed = options.metrics?.counter({
    name: 'outflow_outbox_relayed_total',
    help: "Outbox messages the relay published because their writer's fast path did not (a crash, a failed produce).",
  });
  const intervalMs = options.intervalMs ?? 1_000;
  const minAgeMs = options.minAgeMs ?? 2_000;
  const batchSize = options.batchSize ?? 500;
  const pass = async (isStopping: () => boolean): Promise<void> => {
    for (;;) {
      const published = await publishRows(options.db, options.producer, async (trx) => {
        const { rows } = await sql<OutboxRow>`
          select id::text as id, topic, message_key, message_id, payload, trace_context from outbox
          where created_at < now() - make_interval(secs => ${minAgeMs / 1000})
          order by id limit ${batchSize} for update skip locked
        `.execute(trx);
        return rows;
      });
      if (published > 0) options.logger.warn({ published }, 'outbox relay published messages left behind');
      relayed?.inc(published);
      if (published < batchSize || isStopping()) return;
    }
  };
  return startTicker({ name: 'outbox-relay', intervalMs, logger: options.logger, tick: pass });
}
