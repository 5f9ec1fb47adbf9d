import type { TopicName } from '@outflow/contracts';
import { withTimeout } from '@outflow/runtime';
import type { Counter, Logger, Metrics } from '@outflow/telemetry';
import { fetchGroupLag } from './group-offsets.js';
import type { KafkaHandle } from './kafka-client.js';

/** What one consumer loop counts. */
export interface ConsumerMetrics {
  deadLettered(): void;
  /** A handler failed with a retryable error and the message is tried again in place. */
  retried(): void;
  /** Stops reporting this loop's lag (its group is no longer this process's to watch). */
  stop(): void;
}

interface WatchedGroup {
  kafka: KafkaHandle;
  groupId: string;
  topic: TopicName;
  logger: Logger;
}

interface SharedConsumerMetrics {
  deadLetters: Counter<'topic'>;
  retries: Counter<'topic'>;
  watched: Set<WatchedGroup>;
}

/** A scrape waits at most this long for the broker's offsets; Prometheus' own scrape timeout is 10 s. */
const LAG_TIMEOUT_MS = 5_000;

/** One set of series per registry, however many loops a service runs (prom-client refuses a name twice). */
const sharedByRegistry = new WeakMap<Metrics, SharedConsumerMetrics>();

function sharedOf(metrics: Metrics): SharedConsumerMetrics {
  const existing = sharedByRegistry.get(metrics);
  if (existing) return existing;
  const watched = new Set<WatchedGroup>();
  const shared: SharedConsumerMetrics = {
    deadLetters: metrics.counter({
      name: 'outflow_dead_letters_total',
      help: 'Messages a consumer could never handle, published to the dead letter topic.',
      labelNames: ['topic'],
    }),
    retries: metrics.counter({
      name: 'outflow_consumer_retries_total',
      help: 'Handler failures retried in place (the partition waits meanwhile): mostly database or broker outages.',
      labelNames: ['topic'],
    }),
    watched,
  };
  metrics.gauge({
    name: 'outflow_consumer_lag',
    help: "Messages not yet committed by the service's consumer group, per topic and partition, read from the broker at each scrape.",
    labelNames: ['topic', 'partition'],
    // Read at scrape time, so a stalled consumer's lag keeps growing here (a figure its own loop would stop updating).
    async collect() {
      this.reset();
      await Promise.all(
        [...watched].map(async (group) => {
          try {
            const lags = await withTimeout(fetchGroupLag(group.kafka, group), LAG_TIMEOUT_MS, 'the broker');
            for (const { partition, lag } of lags) this.set({ topic: group.topic, partition: String(partition) }, lag);
          } catch (error) {
            // No series rather than a stale one: the broker being unreachable shows in the services' own alerts.
            group.logger.warn({ err: error, topic: group.topic }, 'could not read the consumer lag for /metrics');
          }
        }),
      );
    },
  });
  sharedByRegistry.set(metrics, shared);
  return shared;
}

/** Counts a consumer loop's dead letters and retries, and reports its group's lag on `metrics`. */
export function consumerMetrics(metrics: Metrics, group: WatchedGroup): ConsumerMetrics {
  const shared = sharedOf(metrics);
  const labels = { topic: group.topic };
  // Exported at 0 from the start, so an alert on their increase sees a series before the first event.
  shared.deadLetters.inc(labels, 0);
  shared.retries.inc(labels, 0);
  shared.watched.add(group);
  return {
    deadLettered: () => shared.deadLetters.inc(labels),
    retried: () => shared.retries.inc(labels),
    stop: () => void shared.watched.delete(group),
  };
}
