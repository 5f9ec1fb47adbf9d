import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  statuses: Set<string>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
}

/**
 * Holds real responses against the API's OpenAPI document: each must be of a status its operation lists, with a
 * body its schema accepts. Remembers which operations and statuses it saw, so a test can require all of them.
 */
export class OpenApiConformance {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly operations: Operation[] = [];
  private readonly validators = new Map<string, ValidateFunction>();
  readonly seen = new Set<string>();

  constructor(document: OpenApiDocument) {
    addFormats.default(this.ajv);
    this.ajv.addSchema(document as object, 'openapi');
    for (const [template, item] of Object.entries(document.paths)) {
      const pattern = new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`);
      for (const [method, operation] of Object.entries(item)) {
        this.operations.push({ method, template, pattern, statuses: new Set(Object.keys(operation.responses)) });
      }
    }
  }

  /** `METHOD /template` of every documented operation. */
  get operationNames(): string[] {
    return this.operations.map((operation) => `${operation.method.toUpperCase()} ${operation.template}`);
  }

  /** Throws, naming the operation and what is wrong, unless the response is one the document describes. */
  check(method: string, path: string, status: number, body: unknown): void {
    const pathOnly = path.split('?')[0]!;
    const operation = this.operations.find(
      (candidate) => candidate.method === method.toLowerCase() && candidate.pattern.test(pathOnly),
    );
    if (!operation) {
      // Not an endpoint: only the catch-all 404 may answer it.
      const code = (body as { error?: { code?: string } }).error?.code;
      if (status !== 404 || code !== 'not_found')
        throw new Error(`${method} ${path}: undocumented, answered ${status}`);
      return;
    }
    const name = `${method.toUpperCase()} ${operation.template}`;
    if (!operation.statuses.has(String(status))) {
      throw new Error(`${name} answered ${status}, which the document does not list: ${JSON.stringify(body)}`);
    }
    const pointer = `#/paths/${operation.template.replaceAll('/', '~1')}/${operation.method}/responses/${status}/content/application~1json/schema`;
    let validate = this.validators.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `openapi${pointer}` });
      this.validators.set(pointer, validate);
    }
    if (!validate(body)) {
      throw new Error(
        `${name} ${status} does not match the document: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`,
      );
    }
    this.seen.add(`${name} ${status}`);
  }
}
