import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { findFreePort } from '../free-port.js';
import { findRepoRoot } from '../repo-root.js';
import { kafkaInstallation, type KafkaInstallation } from './kafka-installation.js';
import { kafkaNodeProperties, newClusterId, type KafkaNodeSpec } from './kafka-node-properties.js';
import { describeClusterAt, createKafkaTopics, type TopicSpec } from './kafka-admin.js';

export interface KafkaNode {
  readonly id: number;
  /** host:port of its client listener. */
  readonly address: string;
  /** The JVM's process id while it runs. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** The node's own log (INFO and up). */
  readonly logFile: string;
  /** kill -9: no controlled shutdown, no flush beyond what the OS has; its data stays on disk. */
  kill(): Promise<void>;
  /** SIGSTOP: the process holds its sockets and answers nothing, as a node in a long GC pause or a frozen VM. */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
  /** Starts the node again on its data and ports; resolves once it answers a metadata request listing itself. */
  start(): Promise<void>;
  /** SIGTERM (a controlled shutdown), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface KafkaCluster {
  /** Apache Kafka's version, from tools/kafka-broker/pom.xml. */
  readonly version: string;
  readonly clusterId: string;
  /** KAFKA_BROKERS: every node's client address. */
  readonly brokers: string[];
  readonly nodes: readonly KafkaNode[];
  /** Where every node keeps its data and log. Deleted on stop unless `keepDir`. */
  readonly dir: string;
  /** Creates topics (replication: the cluster's default), waiting for every partition's leader. */
  createTopics(topics: readonly TopicSpec[]): Promise<void>;
  /**
   * Total data loss: every node is killed, its storage formatted anew (same cluster id, same ports), and the cluster
   * started again with `topics` created empty, as a cluster restored from nothing looks to its clients.
   */
  wipe(topics: readonly TopicSpec[]): Promise<void>;
  /** Stops every node (SIGTERM, then SIGKILL after `graceMs`) and deletes `dir` unless `keepDir`. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartKafkaClusterOptions {
  /** 1 (default): one combined broker/controller. 3: three combined nodes, replication 3, min.insync.replicas 2. */
  nodes?: 1 | 3;
  topics?: readonly TopicSpec[];
  /** JVM heap of each node. Default 1024 MB, as Kafka's own start script. */
  heapMb?: number;
  /** More broker settings, e.g. `log.segment.bytes` for a retention test. */
  settings?: Readonly<Record<string, string>>;
  /** Called when a node dies that was not told to (a crash, an out-of-memory kill). */
  onCrash?: (reason: string) => void;
  /** Keep the data and logs after stop (e.g. to read a failed scenario's broker logs). Default false. */
  keepDir?: boolean;
  /** How long start-up may take before it fails. Default 60 000 ms. */
  startTimeoutMs?: number;
  /** Chooses each port. Default `findFreePort`; a test hands out a taken one to check the start picks others. */
  findPort?: () => Promise<number>;
}

// Kafka's own start script's JVM options (kafka-run-class.sh), so the broker we measure is the broker users run.
const jvmOptions = [
  '-server',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-XX:MaxInlineLevel=15',
  '-Djava.awt.headless=true',
];

/** A node could not bind a port we chose: another process took it after we checked. */
class PortTakenError extends Error {}

/** How often the first start picks new ports when one was taken. */
const portAttempts = 3;

interface NodeProcess {
  child: ChildProcessWithoutNullStreams;
  javaPid: number;
  exited: Promise<void>;
  /** Set before we signal it, so its exit is not reported as a crash. */
  expected: boolean;
}

/** Runs the format tool for one node's storage. */
async function formatStorage(
  installation: KafkaInstallation,
  clusterId: string,
  propertiesPath: string,
): Promise<void> {
  const child = spawn(
    'java',
    [
      '-cp',
      installation.classpath,
      `-Dlog4j2.configurationFile=${installation.log4jConfig}`,
      '-Dkafka.logs.dir=/dev/null',
      'kafka.tools.StorageTool',
      'format',
      `--cluster-id=${clusterId}`,
      '--config',
      propertiesPath,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`formatting Kafka storage failed (exit ${code}): ${output.trim().slice(-2_000)}`);
}

/**
 * Starts Apache Kafka in KRaft mode from the jars tools/kafka-broker/pom.xml pins (fetched once into .cache/):
 * storage formatted in a temporary folder, free loopback ports, ready when every node answers a metadata request
 * that lists them all. Each JVM stops with this process even if it is killed (tools/kafka-broker/run-node.sh).
 */
export async function startKafkaCluster(options: StartKafkaClusterOptions = {}): Promise<KafkaCluster> {
  const installation = kafkaInstallation();
  const count = options.nodes ?? 1;
  const heapMb = options.heapMb ?? 1_024;
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const findPort = options.findPort ?? findFreePort;
  const dir = await mkdtemp(join(tmpdir(), 'outflow-kafka-'));
  const clusterId = newClusterId(randomBytes);
  const chooseSpecs = async (): Promise<KafkaNodeSpec[]> => {
    const chosen: KafkaNodeSpec[] = [];
    for (let id = 1; id <= count; id += 1) {
      chosen.push({
        id,
        port: await findPort(),
        controllerPort: await findPort(),
        dataDir: join(dir, `node-${id}`, 'data'),
      });
    }
    return chosen;
  };
  // Chosen anew only while the first start fails because another process took a port.
  let specs = await chooseSpecs();
  const specOf = (id: number): KafkaNodeSpec => specs.find((spec) => spec.id === id)!;
  const runNode = join(findRepoRoot(), 'tools', 'kafka-broker', 'run-node.sh');
  const propertiesPath = (spec: KafkaNodeSpec) => join(dir, `node-${spec.id}`, 'server.properties');
  const logDir = (spec: KafkaNodeSpec) => join(dir, `node-${spec.id}`, 'logs');
  const brokersOf = (of: readonly KafkaNodeSpec[]) => of.map((spec) => `127.0.0.1:${spec.port}`);
  const processes = new Map<number, NodeProcess>();
  /** Why each node last exited: its exit code and the tail of its stderr (where log4j2.properties sends errors). */
  const lastExits = new Map<number, string>();
  let stopped = false;
  // A node that dies while the cluster starts fails the start with its reason; it is not a crash to report.
  let starting = true;

  const format = async (): Promise<void> => {
    await Promise.all(
      specs.map(async (spec) => {
        await rm(spec.dataDir, { recursive: true, force: true });
        await mkdir(logDir(spec), { recursive: true });
        await writeFile(propertiesPath(spec), kafkaNodeProperties(spec, specs, options.settings));
        await formatStorage(installation, clusterId, propertiesPath(spec));
      }),
    );
  };

  const launch = async (spec: KafkaNodeSpec): Promise<NodeProcess> => {
    // Its own process group: a Ctrl-C in the terminal reaches only us, and we stop the nodes in order.
    const child = spawn(
      'bash',
      [
        runNode,
        `-Xms${heapMb}m`,
        `-Xmx${heapMb}m`,
        ...jvmOptions,
        `-Dlog4j2.configurationFile=${installation.log4jConfig}`,
        `-Dkafka.logs.dir=${logDir(spec)}`,
        '-cp',
        installation.classpath,
        'kafka.Kafka',
        propertiesPath(spec),
      ],
      { stdio: ['pipe', 'pipe', 'pipe'], detached: true },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4_000);
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const firstLine = await Promise.race([
      new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve)),
      exited.then(({ code }) => {
        throw new Error(`Kafka node ${spec.id} failed to start (exit ${code}): ${stderr.trim()}`);
      }),
    ]);
    const match = /^pid=(\d+)$/.exec(firstLine);
    if (!match) throw new Error(`unexpected output from run-node.sh: ${firstLine}`);
    const node: NodeProcess = {
      child,
      javaPid: Number(match[1]),
      exited: exited.then(() => undefined),
      expected: false,
    };
    void exited.then(({ code }) => {
      lastExits.set(spec.id, `exit ${code}${stderr ? `: ${stderr.trim()}` : ''}`);
      if (processes.get(spec.id) === node) processes.delete(spec.id);
      if (!node.expected && !stopped && !starting) {
        options.onCrash?.(
          `Kafka node ${spec.id} exited unexpectedly (code ${code})${stderr ? `: ${stderr.trim()}` : ''}; its log: ${join(logDir(spec), 'server.log')}`,
        );
      }
    });
    processes.set(spec.id, node);
    return node;
  };

  /** Why a node exited while starting, with its errors and the end of its log: the log is deleted with `dir`. */
  const startFailure = async (spec: KafkaNodeSpec): Promise<Error> => {
    const logFile = join(logDir(spec), 'server.log');
    const logTail = await readFile(logFile, 'utf8').then(
      (text) => text.trimEnd().split('\n').slice(-15).join('\n'),
      () => '(no log written)',
    );
    const exit = lastExits.get(spec.id) ?? 'exit unknown';
    const message = `Kafka node ${spec.id} exited during start-up (${exit}); the end of ${logFile}:\n${logTail}`;
    return /BindException|Address already in use/.test(message) ? new PortTakenError(message) : new Error(message);
  };

  /** Resolves once the node at `spec` answers a metadata request that lists `expectedIds`. */
  const ready = async (spec: KafkaNodeSpec, expectedIds: readonly number[]): Promise<void> => {
    const deadline = Date.now() + startTimeoutMs;
    let last = 'no answer yet';
    for (;;) {
      if (!specs.includes(spec)) throw new Error(`Kafka node ${spec.id}'s start was abandoned for other ports`);
      if (!processes.has(spec.id)) throw await startFailure(spec);
      try {
        const ids = await describeClusterAt(`127.0.0.1:${spec.port}`);
        if (expectedIds.every((id) => ids.includes(id))) return;
        last = `it lists nodes ${ids.join(',')}`;
      } catch (error) {
        last = (error as Error).message;
      }
      if (Date.now() > deadline) {
        throw new Error(`Kafka node ${spec.id} was not ready within ${startTimeoutMs} ms (${last})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  const signal = (id: number, name: NodeJS.Signals): void => {
    const node = processes.get(id);
    if (!node) throw new Error(`Kafka node ${id} is not running`);
    process.kill(node.javaPid, name);
  };

  const stopNode = async (id: number, graceMs: number): Promise<void> => {
    const node = processes.get(id);
    if (!node) return;
    node.expected = true;
    try {
      process.kill(node.javaPid, 'SIGCONT');
      process.kill(node.javaPid, 'SIGTERM');
    } catch {
      // Already gone.
    }
    const timer = setTimeout(() => {
      try {
        process.kill(node.javaPid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }, graceMs);
    await node.exited;
    clearTimeout(timer);
  };

  const killNode = async (id: number): Promise<void> => {
    const node = processes.get(id);
    if (!node) return;
    node.expected = true;
    signal(id, 'SIGKILL');
    await node.exited;
  };

  const startAll = async (): Promise<void> => {
    await Promise.all(specs.map((spec) => launch(spec)));
    const ids = specs.map((spec) => spec.id);
    await Promise.all(specs.map((spec) => ready(spec, ids)));
  };

  const stopAll = async (graceMs: number): Promise<void> => {
    await Promise.all(specs.map((spec) => stopNode(spec.id, graceMs)));
  };

  for (let attempt = 1; ; attempt += 1) {
    try {
      await format();
      await startAll();
      if (options.topics) await createKafkaTopics(brokersOf(specs), options.topics);
      starting = false;
      break;
    } catch (error) {
      await stopAll(0);
      if (error instanceof PortTakenError && attempt < portAttempts) {
        specs = await chooseSpecs();
        continue;
      }
      stopped = true;
      if (!options.keepDir) await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }
  const brokers = brokersOf(specs);

  const nodes: KafkaNode[] = specs.map(({ id }) => ({
    id,
    address: `127.0.0.1:${specOf(id).port}`,
    logFile: join(logDir(specOf(id)), 'server.log'),
    get pid() {
      return processes.get(id)?.javaPid;
    },
    get running() {
      return processes.has(id);
    },
    kill: () => killNode(id),
    pause: () => signal(id, 'SIGSTOP'),
    resume: () => signal(id, 'SIGCONT'),
    async start() {
      if (processes.has(id)) throw new Error(`Kafka node ${id} is already running`);
      await launch(specOf(id));
      await ready(specOf(id), [id]);
    },
    stop: (graceMs = 15_000) => stopNode(id, graceMs),
  }));

  return {
    version: installation.version,
    clusterId,
    brokers,
    nodes,
    dir,
    createTopics: (topics) => createKafkaTopics(brokers, topics),
    async wipe(topics) {
      await Promise.all(specs.map((spec) => killNode(spec.id)));
      await format();
      await startAll();
      await createKafkaTopics(brokers, topics);
    },
    async stop(graceMs = 15_000) {
      stopped = true;
      await stopAll(graceMs);
      if (!options.keepDir) await rm(dir, { recursive: true, force: true });
    },
  };
}
