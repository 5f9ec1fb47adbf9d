import { createHook } from 'node:async_hooks';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestStack, testLogger, type TestStack } from '@outflow/stack';
import { createKafka, createSchemaCodec, createTypedProducer, type TypedProducer } from '../src/index.js';
import { samples } from './sample-payloads.js';

const logger = testLogger('idle-client-test');

/** Timers created while `during` runs (every setTimeout is a new `Timeout` async resource). */
async function timersCreatedDuring(during: () => Promise<void>): Promise<number> {
  let created = 0;
  const hook = createHook({
    init(_id, type) {
      if (type === 'Timeout') created += 1;
    },
  }).enable();
  try {
    await during();
  } finally {
    hook.disable();
  }
  return created;
}

describe('an idle kafkajs client', () => {
  let stack: TestStack;
  let producer: TypedProducer;

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await stack?.close();
  });

  // kafkajs 2.2.4 re-arms a 1 ms timer after every completed request whenever nothing is pending, forever: on
  // each broker connection, ~700 timers a second on an idle client here (kafkajs issue #1556). Our patch
  // (patches/kafkajs@2.2.4.patch) arms it only for a pending request.
  it('arms no timer loop on its connections once its requests are done', async () => {
    const codec = createSchemaCodec({ registryUrl: stack.registry.url });
    await codec.registerAll();
    producer = await createTypedProducer({
      kafka: createKafka({
        brokers: stack.broker.brokers,
        clientId: 'idle-client',
        logger,
        namePrefix: stack.topicPrefix,
      }),
      codec,
    });
    // Requests on the connections (metadata, produce) completed: the state the loop started from.
    await producer.send('followup-events', [{ payload: samples['followup-events']() }]);
    // A quiet window measured, not a condition waited for: the loop shows as hundreds of timers in it.
    const timers = await timersCreatedDuring(() => new Promise((resolve) => setTimeout(resolve, 300)));
    // The window's own timer, and at most a few of kafkajs's own (none is periodic on an idle producer).
    expect(timers).toBeLessThan(10);
  });
});
