import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { findRepoRoot } from './repo-root.js';

export interface TopicSpec {
  name: string;
  partitions: number;
}

export interface MockBroker {
  /**
   * Bootstrap list to pass as KAFKA_BROKERS (random loopback ports): the brokers' own listeners, also when they
   * advertise another address.
   */
  brokers: string[];
  /** The broker process id. */
  pid: number;
  /** Pre-creates a topic with a partition count (auto-creation always makes 4). */
  createTopic(topic: TopicSpec): Promise<void>;
  /** Resolves when the broker process exits, with its exit code or signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kills the broker without a clean stop (all data is lost): for failure tests. */
  kill(): void;
  stop(): Promise<void>;
}

export interface StartMockBrokerOptions {
  /** Number of brokers in the cluster, ids 1..N. Default 1. */
  brokerCount?: number;
  topics?: TopicSpec[];
  /** Called when the broker dies without being asked to stop. */
  onCrash?: (reason: string) => void;
  /** Address (host:port) each broker id advertises instead of its own listener, e.g. a proxy in front of it. */
  advertise?: Record<number, string>;
}

/**
 * Path of the mock broker binary: OUTFLOW_MOCK_BROKER_BIN, or the cached build (built now if missing, ~1 min
 * once per checkout).
 */
export function ensureMockBrokerBinary(): string {
  const fromEnv = process.env['OUTFLOW_MOCK_BROKER_BIN'];
  if (fromEnv) return fromEnv;
  const script = join(findRepoRoot(), 'tools', 'mock-broker', 'build.sh');
  const result = spawnSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (result.status !== 0) {
    throw new Error(`building the mock Kafka broker failed (exit ${result.status}); run: bash ${script}`);
  }
  const path = result.stdout.trim().split('\n').pop();
  if (!path) throw new Error('the mock broker build printed no binary path');
  return path;
}

/**
 * Starts librdkafka's mock Kafka cluster in a child process (dev/test only). The child exits when our stdin
 * pipe closes, so it cannot outlive this process even after a kill -9.
 */
export async function startMockBroker(options: StartMockBrokerOptions = {}): Promise<MockBroker> {
  const binary = ensureMockBrokerBinary();
  const args = ['--brokers', String(options.brokerCount ?? 1)];
  for (const topic of options.topics ?? []) args.push('--topic', `${topic.name}:${topic.partitions}`);
  for (const [id, address] of Object.entries(options.advertise ?? {})) args.push('--advertise', `${id}=${address}`);
  // Its own process group: a Ctrl-C in the terminal reaches only us, and we stop the broker in order. It still
  // cannot outlive us: it exits when our end of its stdin closes.
  const child: ChildProcessWithoutNullStreams = spawn(binary, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });

  let stopping = false;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  void exited.then(({ code, signal }) => {
    if (!stopping) {
      const reason = `mock Kafka broker exited unexpectedly (code ${code}, signal ${signal})${stderr ? `: ${stderr.trim()}` : ''}`;
      rejectPending(new Error(reason));
      options.onCrash?.(reason);
    }
  });

  const lines = createInterface({ input: child.stdout });
  const pending: Array<{ resolve: (line: string) => void; reject: (error: Error) => void }> = [];
  const rejectPending = (error: Error): void => {
    for (const waiter of pending.splice(0)) waiter.reject(error);
  };
  lines.on('line', (line) => pending.shift()?.resolve(line));
  const nextLine = (): Promise<string> =>
    new Promise((resolve, reject) => {
      pending.push({ resolve, reject });
    });

  const first = await Promise.race([
    nextLine(),
    exited.then(({ code }) => {
      throw new Error(`mock Kafka broker failed to start (exit ${code}): ${stderr.trim()}`);
    }),
  ]);
  if (!first.startsWith('bootstrap=')) throw new Error(`unexpected mock broker output: ${first}`);
  const brokers = first.slice('bootstrap='.length).split(',');

  // Commands are answered in order, one line each; chain them so concurrent callers get their own answer.
  let queue: Promise<unknown> = Promise.resolve();
  const command = (text: string): Promise<string> => {
    const run = queue.then(() => {
      const answer = nextLine();
      child.stdin.write(`${text}\n`);
      return answer;
    });
    queue = run.catch(() => undefined);
    return run;
  };

  return {
    brokers,
    pid: child.pid ?? -1,
    exited,
    async createTopic(topic) {
      if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic.name)) throw new Error(`invalid topic name "${topic.name}"`);
      const answer = await command(`topic ${topic.name} ${topic.partitions}`);
      if (!answer.startsWith('ok ')) throw new Error(`creating topic ${topic.name} failed: ${answer}`);
    },
    kill() {
      stopping = true;
      child.kill('SIGKILL');
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      stopping = true;
      child.stdin.end('quit\n');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
