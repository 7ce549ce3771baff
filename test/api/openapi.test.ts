import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { parseIdempotencyKey } from '../../src/api/orders/idempotency-key.js';
import { createOpenApiDocument } from '../../src/api/openapi/openapi-document.js';
import { useApi, withStoppingApi, withUnreachableStore } from '../support/api-fixture.js';
import { apiKeyEnvironment, postOrder, type ApiUnderTest } from '../support/api-server.js';
import { ASYNCAPI_PATH } from '../support/event-contract.js';
import { resolveLocalReference } from '../support/json-reference.js';

/** The parts of an OpenAPI 3.1 document these tests read. */
interface Reference {
  $ref: string;
}
interface HeaderObject {
  required?: boolean;
  description?: string;
  schema: object;
}
interface MediaTypeObject {
  schema?: object;
  examples?: Record<string, { value: unknown }>;
}
interface ResponseObject {
  description: string;
  headers?: Record<string, HeaderObject | Reference>;
  content?: Record<string, MediaTypeObject>;
}
interface ParameterObject {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema: object;
}
interface OperationObject {
  operationId?: string;
  parameters?: (ParameterObject | Reference)[];
  requestBody?: { required?: boolean; content: Record<string, MediaTypeObject> };
  responses: Record<string, ResponseObject | Reference>;
}
interface OpenApi {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, OperationObject>>;
  components: { schemas: Record<string, object & { examples?: unknown[] }> };
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function operationsOf(document: OpenApi): { method: string; path: string; op: OperationObject }[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, op]) => ({ method, path, op })),
  );
}

function isReference(value: unknown): value is Reference {
  return typeof (value as Partial<Reference> | null)?.$ref === 'string';
}

function resolved<T extends object>(document: OpenApi, value: T | Reference): T {
  return isReference(value) ? (resolveLocalReference(document, value.$ref) as T) : value;
}

function allRefs(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(allRefs);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) =>
    key === '$ref' && typeof child === 'string' ? [child] : allRefs(child),
  );
}

const BUNDLE_ID = 'urn:order-service:openapi-schemas';
const SCHEMA_REF_PREFIX = '#/components/schemas/';

/**
 * Ajv cannot compile a whole OpenAPI document as a schema (strict mode rightly refuses
 * `openapi`, `paths`, …), so the component schemas are bundled under `$defs` of one schema
 * and every `#/components/schemas/X` becomes a reference into that bundle.
 */
function withBundledRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withBundledRefs);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => {
      if (key !== '$ref') return [key, withBundledRefs(child)];
      if (typeof child !== 'string' || !child.startsWith(SCHEMA_REF_PREFIX)) {
        throw new Error(`a schema refers outside #/components/schemas: ${String(child)}`);
      }
      return [key, `${BUNDLE_ID}#/$defs/${child.slice(SCHEMA_REF_PREFIX.length)}`];
    }),
  );
}

/** JSON Schema 2020-12 validators for the document's schemas, strict, with formats. */
function createSchemaValidators(document: OpenApi, options: { coerceTypes: boolean }) {
  const ajv = new Ajv2020({
    strict: true,
    allErrors: true,
    // `type: ["string", "null"]` is how OpenAPI 3.1 says nullable.
    allowUnionTypes: true,
    coerceTypes: options.coerceTypes,
  });
  addFormats.default(ajv);
  // OpenAPI's own keywords in its Schema Object dialect; everything else must be 2020-12.
  ajv.addVocabulary(['discriminator', 'xml', 'externalDocs', 'example']);
  ajv.addSchema({ $id: BUNDLE_ID, $defs: withBundledRefs(document.components.schemas) });
  const compiled = new WeakMap<object, ValidateFunction>();
  return (schema: object): ValidateFunction => {
    const known = compiled.get(schema);
    if (known !== undefined) return known;
    const validate = ajv.compile(withBundledRefs(schema) as object);
    compiled.set(schema, validate);
    return validate;
  };
}

function expectValid(validate: ValidateFunction, data: unknown, what: string): void {
  const valid = validate(data);
  expect(
    valid,
    `${what} does not match the document: ${JSON.stringify(validate.errors, null, 2)}\n` +
      `value: ${JSON.stringify(data)}`,
  ).to.equal(true);
}

function mediaTypeOf(contentType: string | null): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

function isJson(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

/**
 * Checks real answers against the document: the status is listed for the operation, the
 * content type is one it lists, the body is valid against that schema, every required header
 * is there and every documented header is valid. Remembers which responses it saw.
 */
function createConformance(document: OpenApi) {
  const bodyValidator = createSchemaValidators(document, { coerceTypes: false });
  // Header values are strings on the wire; `Retry-After: 5` is the integer 5.
  const headerValidator = createSchemaValidators(document, { coerceTypes: true });
  const seen = new Set<string>();

  function operation(method: string, path: string): OperationObject {
    const op = document.paths[path]?.[method];
    expect(op, `${method.toUpperCase()} ${path} is not in the document`).not.to.equal(undefined);
    return op!;
  }

  async function check(response: Response, method: string, path: string): Promise<unknown> {
    const where = `${method.toUpperCase()} ${path} → ${response.status}`;
    const spec = operation(method, path).responses[String(response.status)];
    expect(spec, `${where} is not a response the document lists`).not.to.equal(undefined);
    const documented = resolved(document, spec!);
    seen.add(`${method.toUpperCase()} ${path} ${response.status}`);

    for (const [name, headerOrRef] of Object.entries(documented.headers ?? {})) {
      const header = resolved(document, headerOrRef);
      const value = response.headers.get(name);
      if (value === null) {
        expect(header.required, `${where}: required header ${name} is missing`).not.to.equal(true);
        continue;
      }
      expectValid(headerValidator(header.schema), value, `${where}: header ${name}`);
    }

    const text = await response.text();
    if (documented.content === undefined) {
      expect(text, `${where} documents no body`).to.equal('');
      return undefined;
    }
    const mediaType = mediaTypeOf(response.headers.get('content-type'));
    const media = documented.content[mediaType];
    expect(
      media,
      `${where}: content type "${mediaType}" is not one of ${Object.keys(documented.content).join(', ')}`,
    ).not.to.equal(undefined);
    const body: unknown = isJson(mediaType) ? JSON.parse(text) : text;
    expect(text, `${where} shows a stack trace`).not.to.match(/\bat .*\.(ts|js):\d+/);
    expect(media!.schema, `${where}: ${mediaType} has no schema`).not.to.equal(undefined);
    expectValid(bodyValidator(media!.schema!), body, `${where}: body`);
    return body;
  }

  function requestBodyValidator(method: string, path: string): ValidateFunction {
    const schema = operation(method, path).requestBody?.content['application/json']?.schema;
    expect(schema, `${method} ${path} has no JSON request body`).not.to.equal(undefined);
    return bodyValidator(schema!);
  }

  return { check, seen, bodyValidator, headerValidator, requestBodyValidator };
}

type Conformance = ReturnType<typeof createConformance>;

function documentedResponses(document: OpenApi): string[] {
  return operationsOf(document).flatMap(({ method, path, op }) =>
    Object.keys(op.responses).map((status) => `${method.toUpperCase()} ${path} ${status}`),
  );
}

describe('OpenAPI document and interactive docs (real app, MongoDB-protocol server and Redis)', () => {
  const fixture = useApi('test_openapi');
  let api: ApiUnderTest;
  let document: OpenApi;
  let conformance: Conformance;

  const json = { 'content-type': 'application/json' };
  const newOrder = () =>
    JSON.stringify({ user_id: `u-${randomUUID().slice(0, 8)}`, product_code: 'classic-box' });

  before(async () => {
    api = fixture.api;
    document = (await (await fetch(`${api.url}/openapi.json`)).json()) as OpenApi;
    conformance = createConformance(document);
  });

  // A second API, with authentication on (AUTH_MODE=api-key), for its 401s and 403s.
  const writerKey = `sk_${randomUUID()}`;
  const readerKey = `sk_${randomUUID()}`;
  const digest = (key: string) => createHash('sha256').update(key).digest('hex');
  const authed = useApi('test_openapi_auth', {
    env: () =>
      apiKeyEnvironment([
        { client_id: 'writer', key_sha256: digest(writerKey), scopes: ['orders:write'] },
        { client_id: 'reader', key_sha256: digest(readerKey), scopes: ['orders:read'] },
      ]),
  });
  const as = (key: string) => ({ ...json, authorization: `Bearer ${key}` });

  /**
   * The requests of the tests that check real answers against the document, each checking
   * what it gets with the conformance it is given: each test runs its own with the suite's,
   * and the coverage test runs them all with one of its own.
   */
  const produce = {
    servedDocument: async (conformance: Conformance) => {
      const response = await fetch(`${api.url}/openapi.json`);
      const served = await conformance.check(response, 'get', '/openapi.json');
      expect(served).to.deep.equal(JSON.parse(JSON.stringify(createOpenApiDocument())));
    },
    servedAsyncApi: async (conformance: Conformance) => {
      const response = await fetch(`${api.url}/asyncapi.json`);
      const served = await conformance.check(response, 'get', '/asyncapi.json');
      expect(served).to.deep.equal(parse(await readFile(ASYNCAPI_PATH, 'utf8')));
    },
    validOrder: async (conformance: Conformance) => {
      const body = newOrder();
      expectValid(
        conformance.requestBodyValidator('post', '/orders'),
        JSON.parse(body),
        'the request',
      );
      const response = await postOrder(api.url, body);
      expect(response.status).to.equal(202);
      await conformance.check(response, 'post', '/orders');
    },
    replayedOrder: async (conformance: Conformance) => {
      const headers = {
        ...json,
        'idempotency-key': randomUUID(),
        'x-request-id': 'openapi-test-1',
      };
      const body = newOrder();
      expect((await postOrder(api.url, body, headers)).status).to.equal(202);
      const replayed = await postOrder(api.url, body, headers);
      expect(replayed.headers.get('idempotent-replayed')).to.equal('true');
      expect(replayed.headers.get('x-request-id')).to.equal('openapi-test-1');
      await conformance.check(replayed, 'post', '/orders');
    },
    invalidOrders: async (conformance: Conformance) => {
      const invalid = JSON.stringify({
        user_id: { $gt: '' },
        product_code: 'x'.repeat(65),
        extra: 1,
      });
      // The document refuses what the API refuses: it was rendered from the same validator.
      expect(conformance.requestBodyValidator('post', '/orders')(JSON.parse(invalid))).to.equal(
        false,
      );
      const requests = [
        postOrder(api.url, invalid),
        postOrder(api.url, '{"user_id": '),
        postOrder(api.url, 'null'),
        postOrder(api.url, newOrder(), { ...json, 'idempotency-key': 'with space' }),
      ];
      for (const response of await Promise.all(requests)) {
        expect(response.status).to.equal(400);
        await conformance.check(response, 'post', '/orders');
      }
    },
    tooLarge: async (conformance: Conformance) => {
      const response = await postOrder(
        api.url,
        JSON.stringify({ user_id: 'u1', product_code: 'p1', pad: 'x'.repeat(2000) }),
      );
      expect(response.status).to.equal(413);
      await conformance.check(response, 'post', '/orders');
    },
    notJson: async (conformance: Conformance) => {
      const response = await postOrder(api.url, 'user_id=u1', {
        'content-type': 'application/x-www-form-urlencoded',
      });
      expect(response.status).to.equal(415);
      await conformance.check(response, 'post', '/orders');
    },
    reusedKey: async (conformance: Conformance) => {
      const headers = { ...json, 'idempotency-key': randomUUID() };
      expect((await postOrder(api.url, newOrder(), headers)).status).to.equal(202);
      const response = await postOrder(api.url, newOrder(), headers);
      expect(response.status).to.equal(422);
      await conformance.check(response, 'post', '/orders');
    },
    listPages: async (conformance: Conformance) => {
      const userId = `u-${randomUUID().slice(0, 8)}`;
      for (let i = 0; i < 3; i++) {
        const body = JSON.stringify({ user_id: userId, product_code: `p${i}` });
        expect((await postOrder(api.url, body)).status).to.equal(202);
      }
      const first = await fetch(`${api.url}/orders?user_id=${userId}&limit=2`);
      expect(first.status).to.equal(200);
      expect(first.headers.get('link')).to.match(/rel="next"$/);
      const page = (await conformance.check(first, 'get', '/orders')) as {
        items: unknown[];
        next_cursor: string | null;
      };
      expect(page.items).to.have.length(2);
      expect(page.next_cursor).to.be.a('string');

      const last = await fetch(
        `${api.url}/orders?user_id=${userId}&limit=2&cursor=${encodeURIComponent(page.next_cursor!)}`,
      );
      expect(last.status).to.equal(200);
      expect(last.headers.get('link')).to.equal(null);
      const lastPage = (await conformance.check(last, 'get', '/orders')) as {
        next_cursor: unknown;
      };
      expect(lastPage.next_cursor).to.equal(null);
    },
    badListQueries: async (conformance: Conformance) => {
      for (const query of [
        'limit=0',
        'limit=abc',
        'status=LOST',
        'cursor=nope',
        'colour=red',
        'limit=1&limit=2',
      ]) {
        const response = await fetch(`${api.url}/orders?${query}`);
        expect(response.status, query).to.equal(400);
        await conformance.check(response, 'get', '/orders');
      }
    },
    readOrder: async (conformance: Conformance) => {
      const created = (await (await postOrder(api.url, newOrder())).json()) as { id: string };
      const now = await fetch(`${api.url}/orders/${created.id}`);
      expect(now.status).to.equal(200);
      await conformance.check(now, 'get', '/orders/{id}');

      const waited = await fetch(`${api.url}/orders/${created.id}`, {
        headers: { prefer: 'wait=1' },
      });
      expect(waited.status).to.equal(200);
      expect(waited.headers.get('preference-applied')).to.equal('wait=1');
      expect(waited.headers.get('vary')).to.equal('Prefer');
      await conformance.check(waited, 'get', '/orders/{id}');

      const withHistory = await fetch(`${api.url}/orders/${created.id}?include=history`);
      expect(withHistory.status).to.equal(200);
      expect(((await withHistory.clone().json()) as { history: unknown[] }).history).to.have.length(
        1,
      );
      await conformance.check(withHistory, 'get', '/orders/{id}');
    },
    badReadQueries: async (conformance: Conformance) => {
      const created = (await (await postOrder(api.url, newOrder())).json()) as { id: string };
      for (const query of ['include=events', 'colour=red', 'include=history&include=history']) {
        const response = await fetch(`${api.url}/orders/${created.id}?${query}`);
        expect(response.status, query).to.equal(400);
        await conformance.check(response, 'get', '/orders/{id}');
      }
    },
    unknownOrder: async (conformance: Conformance) => {
      for (const id of [randomUUID(), 'not-a-uuid']) {
        const response = await fetch(`${api.url}/orders/${id}`);
        expect(response.status, id).to.equal(404);
        await conformance.check(response, 'get', '/orders/{id}');
      }
    },
    health: async (conformance: Conformance) => {
      const live = await fetch(`${api.url}/health/live`);
      expect(live.status).to.equal(200);
      await conformance.check(live, 'get', '/health/live');
      const ready = await fetch(`${api.url}/health/ready`);
      expect(ready.status).to.equal(200);
      await conformance.check(ready, 'get', '/health/ready');
    },
    storeUnreachable: async (conformance: Conformance) => {
      await withUnreachableStore(fixture, async (offlineUrl) => {
        const answers: [Response, string, string][] = [
          [await postOrder(offlineUrl, newOrder()), 'post', '/orders'],
          [await fetch(`${offlineUrl}/orders`), 'get', '/orders'],
          [await fetch(`${offlineUrl}/orders/${randomUUID()}`), 'get', '/orders/{id}'],
          [await fetch(`${offlineUrl}/health/ready`), 'get', '/health/ready'],
        ];
        for (const [response, method, path] of answers) {
          expect(response.status, `${method} ${path}`).to.equal(503);
          await conformance.check(response, method, path);
        }
      });
    },
    stopping: async (conformance: Conformance) => {
      await withStoppingApi(fixture, async (stoppingUrl) => {
        const refused = await postOrder(stoppingUrl, newOrder());
        expect(refused.status).to.equal(503);
        expect(refused.headers.get('retry-after')).to.equal('1');
        await conformance.check(refused, 'post', '/orders');
        const ready = await fetch(`${stoppingUrl}/health/ready`);
        expect(ready.status).to.equal(503);
        expect(
          ((await conformance.check(ready, 'get', '/health/ready')) as { status: string }).status,
        ).to.equal('stopping');
        expect((await fetch(`${stoppingUrl}/openapi.json`)).status).to.equal(200);
      });
    },
    docsPage: async (conformance: Conformance) => {
      const response = await fetch(`${api.url}/docs`);
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-security-policy')).to.include("default-src 'none'");
      const html = (await conformance.check(response, 'get', '/docs')) as string;
      expect(html).to.match(/^<!DOCTYPE html>/);
      expect(html).to.include('SwaggerUIBundle({');
      expect(html).to.include('url: "/openapi.json"');
      const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
      expect(sources).not.to.be.empty;
      for (const source of sources) expect(source).to.match(/^\/docs\/assets\/[\w.-]+$/);
    },
    refused: async (conformance: Conformance) => {
      const { url } = authed.api;
      const id = randomUUID();
      const answers: [Response, string, string, number][] = [
        [await postOrder(url, newOrder()), 'post', '/orders', 401],
        [await fetch(`${url}/orders`), 'get', '/orders', 401],
        [await fetch(`${url}/orders/${id}`), 'get', '/orders/{id}', 401],
        [await postOrder(url, newOrder(), as(readerKey)), 'post', '/orders', 403],
        [await postOrder(url, newOrder(), as(writerKey)), 'post', '/orders', 403],
        [await fetch(`${url}/orders`, { headers: as(writerKey) }), 'get', '/orders', 403],
        [
          await fetch(`${url}/orders/${id}`, { headers: as(writerKey) }),
          'get',
          '/orders/{id}',
          403,
        ],
      ];
      for (const [response, method, path, status] of answers) {
        expect(response.status, `${method} ${path}`).to.equal(status);
        await conformance.check(response, method, path);
      }
    },
  };

  describe('the document', () => {
    it('when /openapi.json is fetched, then it is the document the code builds, and matches its own description', () =>
      produce.servedDocument(conformance));

    it('when /asyncapi.json is fetched, then it is docs/asyncapi.yaml as JSON, the events described beside the API', () =>
      produce.servedAsyncApi(conformance));

    it('when it is read, then it is OpenAPI 3.1 and describes exactly the operations the API serves', () => {
      expect(document.openapi).to.match(/^3\.1\.\d+$/);
      expect(document.info.title).to.be.a('string').and.not.empty;
      expect(document.info.version).to.be.a('string').and.not.empty;
      expect(operationsOf(document).map(({ method, path }) => `${method} ${path}`)).to.have.members(
        [
          'post /orders',
          'get /orders',
          'get /orders/{id}',
          'get /health/live',
          'get /health/ready',
          'get /openapi.json',
          'get /asyncapi.json',
          'get /docs',
        ],
      );
    });

    it('when every operation is read, then each has a unique id, described responses and its path parameters declared', () => {
      const ids = operationsOf(document).map(({ op }) => op.operationId);
      expect(ids.every((id) => typeof id === 'string' && id.length > 0)).to.equal(true);
      expect(new Set(ids).size).to.equal(ids.length);
      for (const { method, path, op } of operationsOf(document)) {
        const where = `${method} ${path}`;
        expect(Object.keys(op.responses), where).not.to.be.empty;
        for (const [status, response] of Object.entries(op.responses)) {
          expect(status, where).to.match(/^[1-5]\d\d$/);
          expect(resolved(document, response).description, `${where} ${status}`).to.be.a('string')
            .and.not.empty;
        }
        const parameters = (op.parameters ?? []).map((p) => resolved(document, p));
        for (const parameter of parameters) {
          expect(['query', 'header', 'path', 'cookie'], where).to.include(parameter.in);
          expect(parameter.description, `${where} ${parameter.name}`).to.be.a('string').and.not
            .empty;
        }
        const inPath = parameters.filter((p) => p.in === 'path');
        const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
        expect(
          inPath.map((p) => p.name),
          where,
        ).to.have.members(templated);
        expect(
          inPath.every((p) => p.required === true),
          where,
        ).to.equal(true);
      }
    });

    it('when every schema is compiled as strict JSON Schema 2020-12 with formats, then all compile and every $ref resolves', () => {
      for (const ref of allRefs(document)) {
        expect(() => resolveLocalReference(document, ref), ref).not.to.throw();
      }
      const schemas: object[] = Object.values(document.components.schemas);
      for (const { op } of operationsOf(document)) {
        for (const parameter of op.parameters ?? [])
          schemas.push(resolved(document, parameter).schema);
        for (const media of Object.values(op.requestBody?.content ?? {}))
          schemas.push(media.schema!);
        for (const response of Object.values(op.responses).map((r) => resolved(document, r))) {
          for (const header of Object.values(response.headers ?? {})) {
            schemas.push(resolved(document, header).schema);
          }
          for (const media of Object.values(response.content ?? {})) schemas.push(media.schema!);
        }
      }
      for (const schema of schemas) {
        expect(schema, 'a schema is missing').to.be.an('object');
        expect(() => conformance.bodyValidator(schema), JSON.stringify(schema)).not.to.throw();
      }
    });

    it('when its examples are checked against their schemas, then every one is valid', () => {
      for (const [name, schema] of Object.entries(document.components.schemas)) {
        for (const example of schema.examples ?? []) {
          expectValid(conformance.bodyValidator(schema), example, `example of ${name}`);
        }
      }
      for (const { method, path, op } of operationsOf(document)) {
        for (const [status, response] of Object.entries(op.responses)) {
          for (const [mediaType, media] of Object.entries(
            resolved(document, response).content ?? {},
          )) {
            for (const [name, example] of Object.entries(media.examples ?? {})) {
              const where = `example ${name} of ${method} ${path} ${status} ${mediaType}`;
              expectValid(conformance.bodyValidator(media.schema!), example.value, where);
              expect((example.value as { status?: unknown }).status, where).to.equal(
                Number(status),
              );
            }
          }
        }
      }
    });

    it('when Idempotency-Keys are checked by the documented pattern and by the API, then both agree', () => {
      const parameter = document.paths['/orders']!.post!.parameters!.map((p) =>
        resolved(document, p),
      ).find((p) => p.name === 'Idempotency-Key');
      const documented = conformance.headerValidator(parameter!.schema);
      const keys = [
        'a',
        randomUUID(),
        '~!#',
        'x'.repeat(255),
        'x'.repeat(256),
        '',
        'with space',
        'tab\t',
        'é',
      ];
      for (const key of keys) {
        const accepted = (() => {
          try {
            parseIdempotencyKey(key);
            return true;
          } catch {
            return false;
          }
        })();
        expect(documented(key), JSON.stringify(key)).to.equal(accepted);
      }
    });
  });

  describe('real answers match the document', () => {
    it('when a valid order is posted, then its 202 matches', () => produce.validOrder(conformance));

    it('when an Idempotency-Key is sent again with the same order, then the replayed 202 matches, Idempotent-Replayed included', () =>
      produce.replayedOrder(conformance));

    it('when an order breaks a rule, is not JSON or is not an object, or the key is malformed, then each 400 matches', () =>
      produce.invalidOrders(conformance));

    it('when the body is too large, then the 413 matches', () => produce.tooLarge(conformance));

    it('when the body is not JSON, then the 415 matches, Accept-Post included', () =>
      produce.notJson(conformance));

    it('when an Idempotency-Key comes back with a different order, then the 422 matches', () =>
      produce.reusedKey(conformance));

    it('when orders are listed a page at a time, then each 200 matches, next_cursor and Link included', () =>
      produce.listPages(conformance));

    it('when the list query is bad, then each 400 matches', () =>
      produce.badListQueries(conformance));

    it('when an order is read, at once and with Prefer: wait=1, then both 200s match, Preference-Applied included', () =>
      produce.readOrder(conformance));

    it('when an order is read with a bad query, then each 400 matches', () =>
      produce.badReadQueries(conformance));

    it('when an unknown order is read, then the 404 matches', () =>
      produce.unknownOrder(conformance));

    it('when health is read, then its 200s match', () => produce.health(conformance));

    it('when the store cannot be reached, then the 503s of every order operation and of readiness match', () =>
      produce.storeUnreachable(conformance));

    it('when the instance is stopping, then the 503s match, and the document is still served', () =>
      produce.stopping(conformance));
  });

  describe('interactive docs', () => {
    it('when /docs is fetched, then it is an HTML page whose Swagger UI reads /openapi.json and loads nothing from elsewhere', () =>
      produce.docsPage(conformance));

    it('when every file the page loads is fetched, then each is served, the bundle as JavaScript', async () => {
      const html = await (await fetch(`${api.url}/docs`)).text();
      for (const [, source] of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
        const response = await fetch(`${api.url}${source!}`);
        expect(response.status, source).to.equal(200);
        expect(response.headers.get('x-content-type-options'), source).to.equal('nosniff');
        await response.arrayBuffer();
      }
      const bundle = await fetch(`${api.url}/docs/assets/swagger-ui-bundle.js`);
      expect(bundle.headers.get('content-type')).to.match(/^(text|application)\/javascript\b/);
      const code = await bundle.text();
      expect(code.length).to.be.greaterThan(100_000);
      expect(code).to.include('SwaggerUIBundle');
    });

    it('when a file outside the allow-list is asked for, by name or by traversal, then it answers 404 problem+json', async () => {
      for (const path of [
        '/docs/assets/..%2fpackage.json',
        '/docs/assets/%2e%2e%2fpackage.json',
        '/docs/assets/..%2f..%2f..%2fpackage.json',
        '/docs/assets/..%5cpackage.json',
        '/docs/assets/package.json',
        '/docs/assets/index.html',
        '/docs/assets/swagger-ui-bundle.js.map',
        '/docs/assets/%2fetc%2fpasswd',
      ]) {
        const response = await fetch(`${api.url}${path}`);
        expect(response.status, path).to.equal(404);
        expect(response.headers.get('content-type'), path).to.equal('application/problem+json');
        const body = await response.text();
        expect(body, path).not.to.include('swagger-ui-dist');
      }
    });
  });

  describe('with authentication on (AUTH_MODE=api-key)', () => {
    it('when a request has no token, lacks the scope or orders for another user, then the 401s and 403s of every order operation match', () =>
      produce.refused(conformance));
  });

  describe('coverage', () => {
    it('when the requests of every test above are made and checked again, then each response the document lists was produced and checked', async () => {
      const own = createConformance(document);
      for (const check of Object.values(produce)) await check(own);
      expect([...own.seen]).to.have.members(documentedResponses(document));
    });
  });
});
