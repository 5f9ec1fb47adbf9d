import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import avro from 'avsc';

/**
 * An in-memory server of the Confluent Schema Registry REST endpoints that @kafkajs/confluent-schema-registry
 * calls, for the dev/test stack (no registry is installable here). AVRO only. Unlike a stub it enforces the
 * subject's compatibility level (default BACKWARD), so a breaking schema change is rejected with 409 as a real
 * registry would reject it.
 */

type Compatibility =
  'NONE' | 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE';
const compatibilityLevels: readonly Compatibility[] = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
];

interface StoredSchema {
  id: number;
  schema: string;
  canonical: string;
  type: avro.Type;
}

interface SubjectVersion {
  version: number;
  schemaId: number;
}

export interface SchemaRegistryServer {
  url: string;
  /** An outage: closes every connection and refuses new ones, keeping what is registered. */
  goDown(): Promise<void>;
  /** Ends an outage: listens again at the same address, with everything registered before. */
  comeBack(): Promise<void>;
  stop(): Promise<void>;
}

class RegistryError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

function createSchemaRegistryState(defaultCompatibility: Compatibility = 'BACKWARD') {
  const schemas: StoredSchema[] = [];
  const subjects = new Map<string, SubjectVersion[]>();
  const subjectConfig = new Map<string, Compatibility>();
  let globalCompatibility = defaultCompatibility;

  const parse = (schema: unknown, schemaType: unknown): { type: avro.Type; canonical: string } => {
    if (schemaType !== undefined && schemaType !== 'AVRO') {
      throw new RegistryError(
        422,
        42201,
        `Schema type ${String(schemaType)} is not supported by the Outflow dev registry (AVRO only)`,
      );
    }
    if (typeof schema !== 'string') throw new RegistryError(422, 42201, 'Invalid schema: "schema" must be a string');
    try {
      const type = avro.Type.forSchema(JSON.parse(schema) as avro.Schema);
      return { type, canonical: JSON.stringify(type.schema({ exportAttrs: true })) };
    } catch (error) {
      throw new RegistryError(422, 42201, `Invalid schema: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  const versionsOf = (subject: string): SubjectVersion[] => {
    const versions = subjects.get(subject);
    if (!versions || versions.length === 0) throw new RegistryError(404, 40401, `Subject '${subject}' not found.`);
    return versions;
  };

  const schemaById = (id: number): StoredSchema => {
    const stored = schemas.find((candidate) => candidate.id === id);
    if (!stored) throw new RegistryError(404, 40403, 'Schema not found');
    return stored;
  };

  const canRead = (reader: avro.Type, writer: avro.Type): boolean => {
    try {
      reader.createResolver(writer);
      return true;
    } catch {
      return false;
    }
  };

  /** Is `candidate` compatible with the subject's existing versions under the given level? */
  const isCompatible = (candidate: avro.Type, existing: avro.Type[], level: Compatibility): boolean => {
    if (level === 'NONE' || existing.length === 0) return true;
    const against = level.endsWith('_TRANSITIVE') ? existing : existing.slice(-1);
    return against.every((previous) => {
      const backward = canRead(candidate, previous);
      const forward = canRead(previous, candidate);
      if (level.startsWith('BACKWARD')) return backward;
      if (level.startsWith('FORWARD')) return forward;
      return backward && forward;
    });
  };

  const levelOf = (subject: string): Compatibility => subjectConfig.get(subject) ?? globalCompatibility;

  const resolveVersion = (subject: string, version: string): SubjectVersion => {
    const versions = versionsOf(subject);
    if (version === 'latest' || version === '-1') return versions[versions.length - 1]!;
    const found = versions.find((candidate) => String(candidate.version) === version);
    if (!found) throw new RegistryError(404, 40402, `Version ${version} not found.`);
    return found;
  };

  return {
    getSchema(id: number) {
      return { schema: schemaById(id).schema };
    },
    getConfig(subject?: string) {
      if (subject === undefined) return { compatibilityLevel: globalCompatibility };
      const level = subjectConfig.get(subject);
      if (!level) throw new RegistryError(404, 40401, `Subject '${subject}' not found.`);
      return { compatibilityLevel: level };
    },
    setConfig(subject: string | undefined, body: unknown) {
      const level = (body as { compatibility?: unknown } | null)?.compatibility;
      if (typeof level !== 'string' || !compatibilityLevels.includes(level as Compatibility)) {
        throw new RegistryError(422, 42203, `Invalid compatibility level: ${String(level)}`);
      }
      if (subject === undefined) globalCompatibility = level as Compatibility;
      else subjectConfig.set(subject, level as Compatibility);
      return { compatibility: level };
    },
    register(subject: string, body: unknown) {
      const { schema, schemaType } = (body ?? {}) as { schema?: unknown; schemaType?: unknown };
      const parsed = parse(schema, schemaType);
      const versions = subjects.get(subject) ?? [];
      const existingInSubject = versions.find((version) => schemaById(version.schemaId).canonical === parsed.canonical);
      if (existingInSubject) return { id: existingInSubject.schemaId };
      const existingTypes = versions.map((version) => schemaById(version.schemaId).type);
      if (!isCompatible(parsed.type, existingTypes, levelOf(subject))) {
        throw new RegistryError(
          409,
          409,
          `Schema being registered is incompatible with an earlier schema for subject "${subject}" (compatibility ${levelOf(subject)})`,
        );
      }
      let stored = schemas.find((candidate) => candidate.canonical === parsed.canonical);
      if (!stored) {
        stored = { id: schemas.length + 1, schema: schema as string, canonical: parsed.canonical, type: parsed.type };
        schemas.push(stored);
      }
      versions.push({ version: (versions[versions.length - 1]?.version ?? 0) + 1, schemaId: stored.id });
      subjects.set(subject, versions);
      return { id: stored.id };
    },
    lookup(subject: string, body: unknown) {
      const { schema, schemaType } = (body ?? {}) as { schema?: unknown; schemaType?: unknown };
      const parsed = parse(schema, schemaType);
      const found = versionsOf(subject).find((version) => schemaById(version.schemaId).canonical === parsed.canonical);
      if (!found) throw new RegistryError(404, 40403, 'Schema not found');
      return { subject, version: found.version, id: found.schemaId, schema: schemaById(found.schemaId).schema };
    },
    getVersion(subject: string, version: string) {
      const found = resolveVersion(subject, version);
      return { subject, version: found.version, id: found.schemaId, schema: schemaById(found.schemaId).schema };
    },
    listVersions(subject: string) {
      return versionsOf(subject).map((version) => version.version);
    },
    listSubjects() {
      return [...subjects.keys()];
    },
    checkCompatibility(subject: string, version: string, body: unknown) {
      const { schema, schemaType } = (body ?? {}) as { schema?: unknown; schemaType?: unknown };
      const parsed = parse(schema, schemaType);
      const versions = subjects.get(subject) ?? [];
      if (versions.length === 0) return { is_compatible: true };
      const target = resolveVersion(subject, version);
      const level = levelOf(subject);
      const against = level.endsWith('_TRANSITIVE')
        ? versions.map((candidate) => schemaById(candidate.schemaId).type)
        : [schemaById(target.schemaId).type];
      return { is_compatible: isCompatible(parsed.type, against, level) };
    },
  };
}

type Route = {
  method: string;
  pattern: RegExp;
  handle: (match: string[], body: unknown) => unknown;
};

export async function startSchemaRegistry(options: { port?: number } = {}): Promise<SchemaRegistryServer> {
  const state = createSchemaRegistryState();
  const routes: Route[] = [
    { method: 'GET', pattern: /^\/schemas\/ids\/(\d+)$/, handle: ([id]) => state.getSchema(Number(id)) },
    { method: 'GET', pattern: /^\/config$/, handle: () => state.getConfig() },
    { method: 'PUT', pattern: /^\/config$/, handle: (_, body) => state.setConfig(undefined, body) },
    { method: 'GET', pattern: /^\/config\/([^/]+)$/, handle: ([subject]) => state.getConfig(subject) },
    { method: 'PUT', pattern: /^\/config\/([^/]+)$/, handle: ([subject], body) => state.setConfig(subject, body) },
    { method: 'GET', pattern: /^\/subjects$/, handle: () => state.listSubjects() },
    { method: 'GET', pattern: /^\/subjects\/([^/]+)\/versions$/, handle: ([subject]) => state.listVersions(subject!) },
    {
      method: 'POST',
      pattern: /^\/subjects\/([^/]+)\/versions$/,
      handle: ([subject], body) => state.register(subject!, body),
    },
    {
      method: 'GET',
      pattern: /^\/subjects\/([^/]+)\/versions\/([^/]+)$/,
      handle: ([subject, version]) => state.getVersion(subject!, version!),
    },
    { method: 'POST', pattern: /^\/subjects\/([^/]+)$/, handle: ([subject], body) => state.lookup(subject!, body) },
    {
      method: 'POST',
      pattern: /^\/compatibility\/subjects\/([^/]+)\/versions\/([^/]+)$/,
      handle: ([subject, version], body) => state.checkCompatibility(subject!, version!, body),
    },
  ];

  // A new server per listen: Node's http.Server does not serve again once closed.
  let server = createServer();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, payload: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
      res.end(JSON.stringify(payload));
    };
    try {
      const path = new URL(req.url ?? '/', 'http://registry').pathname;
      const route = routes.find((candidate) => candidate.method === req.method && candidate.pattern.test(path));
      if (!route) throw new RegistryError(404, 404, `HTTP ${req.method} ${path} not found`);
      const match = route.pattern
        .exec(path)!
        .slice(1)
        .map((part) => decodeURIComponent(part));
      let body: unknown;
      if (req.method === 'POST' || req.method === 'PUT') {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        } catch {
          throw new RegistryError(422, 42201, 'Invalid JSON body');
        }
      }
      reply(200, route.handle(match, body));
    } catch (error) {
      if (error instanceof RegistryError) reply(error.status, { error_code: error.errorCode, message: error.message });
      else reply(500, { error_code: 50001, message: error instanceof Error ? error.message : String(error) });
    }
  }

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server = createServer((req, res) => {
        void handle(req, res);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  await listen(options.port ?? 0);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    goDown: close,
    comeBack: () => listen(port),
    stop: close,
  };
}
