import { Kafka, logLevel } from 'kafkajs';

import { createKafkaTopics, deleteKafkaTopics, startKafkaCluster, type KafkaCluster } from '@outflow/stack';

/**
 * The one broker of a bench sitting (one Apache Kafka node), warmed by warmBroker; every run gets topics of its own
 * on it. A broker started afresh for each run spent most of its CPU in the run compiling (the JVM's C2 compiler
 * threads: 6.9 of 10 s of broker CPU in an S drain, measured per thread on 2026-12-05), which a broker users run
 * has long done. The caller warms it further with a first, unmeasured drain and stops it.
 */
export async function startSittingBroker(): Promise<KafkaCluster> {
  const cluster = await startKafkaCluster();
  try {
    await warmBroker(cluster.brokers);
    return cluster;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

/**
 * Runs produce, fetch and offset-commit traffic through a freshly started broker before anything is measured.
 * A broker users run has been up for days; one started seconds ago spends the first tens of thousands of requests
 * compiling its request paths (measured here: 2.2 ms of broker CPU per single-message send and fetch cold, 0.9 ms
 * after 20 000), which would be counted against whichever run came first.
 */
async function warmBroker(brokers: string[], messages = 20_000): Promise<void> {
  const topic = 'bench-warm-up';
  await createKafkaTopics(brokers, [{ name: topic, partitions: 12 }]);
  const kafka = new Kafka({ clientId: 'bench-warm-up', brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: 'bench-warm-up', maxWaitTimeInMs: 1_000 });
  await Promise.all([producer.connect(), consumer.connect()]);
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let consumed = 0;
    await consumer.run({
      partitionsConsumedConcurrently: 12,
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
        for (const message of batch.messages) resolveOffset(message.offset);
        consumed += batch.messages.length;
        await commitOffsetsIfNecessary();
      },
    });
    // Small requests from many senders at once, as the services make them; then batches, as the producer's ticks.
    const lanes = 50;
    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        for (let index = lane; index < messages / 2; index += lanes) {
          await producer.send({ topic, acks: -1, messages: [{ key: String(index), value: 'w'.repeat(300) }] });
        }
      }),
    );
    for (let sent = messages / 2; sent < messages; sent += 50) {
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 50 }, (_, index) => ({ key: String(sent + index), value: 'w'.repeat(300) })),
      });
    }
    const deadline = Date.now() + 120_000;
    while (consumed < messages) {
      if (Date.now() > deadline) throw new Error(`broker warm-up consumed ${consumed} of ${messages} in 120 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await Promise.all([consumer.disconnect(), producer.disconnect()]);
    await deleteKafkaTopics(brokers, [topic]);
  }
}
