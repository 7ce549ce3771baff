import { expect } from 'chai';
import fc from 'fast-check';
import type { Queue } from 'bullmq';
import type { MongoConnection } from '../../src/shared/persistence/mongo-connection.js';
import { useApi } from '../support/api-fixture.js';
import type { ApiUnderTest } from '../support/api-server.js';

const BODY_LIMIT = 1024;
const VALID_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** A request that must be refused: a body, its content type (undefined: no header). */
interface BadRequest {
  body: string;
  contentType: string | undefined;
}

const validId = fc.stringMatching(VALID_ID);

/** Anything that is not an acceptable id: other types, operators, bad strings. */
const badId: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(''),
  fc.constant('   '),
  fc.string({ minLength: 65, maxLength: 200 }).map((s) => `a${s}`),
  fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !VALID_ID.test(s)),
  fc.constantFrom('\u0000', 'a\nb', 'ab\t', '\u007f', 'é', '$where', 'a.b', '-leading', '_x'),
  fc.constantFrom({ $gt: '' }, { $ne: null }, { $regex: '.*' }, ['a'], []),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);

const json = (value: unknown): BadRequest => ({
  body: JSON.stringify(value),
  contentType: 'application/json',
});

const badRequests: fc.Arbitrary<BadRequest> = fc.oneof(
  // one field wrong, the other right (either way round)
  fc.tuple(badId, validId).map(([user_id, product_code]) => json({ user_id, product_code })),
  fc.tuple(validId, badId).map(([user_id, product_code]) => json({ user_id, product_code })),
  // missing fields
  validId.map((user_id) => json({ user_id })),
  validId.map((product_code) => json({ product_code })),
  fc.constant(json({})),
  // extra fields next to valid ones
  fc
    .tuple(validId, validId, fc.string({ minLength: 1, maxLength: 10 }), fc.jsonValue())
    .filter(([, , key]) => key !== 'user_id' && key !== 'product_code')
    .map(([user_id, product_code, key, value]) => json({ user_id, product_code, [key]: value })),
  // JSON that is not an object
  fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.array(validId)).map(json),
  // not JSON at all
  fc
    .string({ minLength: 1, maxLength: 50 })
    .filter((text) => {
      try {
        JSON.parse(text);
        return false;
      } catch {
        return true;
      }
    })
    .map((body) => ({ body, contentType: 'application/json' })),
  // truncated JSON
  fc.tuple(validId, validId, fc.nat()).map(([user_id, product_code, cut]) => {
    const whole = JSON.stringify({ user_id, product_code });
    return { body: whole.slice(0, cut % whole.length), contentType: 'application/json' };
  }),
  // a valid order under the wrong content type, or none
  fc
    .tuple(
      validId,
      validId,
      fc.constantFrom(
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/xml',
        undefined,
      ),
    )
    .map(([user_id, product_code, contentType]) => ({
      body: JSON.stringify({ user_id, product_code }),
      contentType,
    })),
  // bodies over the limit
  fc
    .integer({ min: BODY_LIMIT, max: 4 * BODY_LIMIT })
    .map((size) => json({ user_id: 'u1', product_code: 'p1', pad: 'x'.repeat(size) })),
);

describe('bad input, generated (real API, MongoDB-protocol server and Redis)', function () {
  this.timeout(120_000);
  const fixture = useApi('test_bad_input', {
    env: () => ({ BODY_LIMIT_BYTES: String(BODY_LIMIT), JOB_ATTEMPTS: '1' }),
  });
  let mongo: MongoConnection;
  let inspector: Queue;
  let api: ApiUnderTest;
  before(() => {
    ({ mongo, inspector, api } = fixture);
  });

  async function expectProblem(response: Response, what: string): Promise<void> {
    expect(response.status, what).to.be.within(400, 499);
    expect(response.headers.get('content-type'), what).to.equal('application/problem+json');
    const text = await response.text();
    const problem = JSON.parse(text) as { status?: unknown; type?: unknown };
    expect(problem.status, what).to.equal(response.status);
    expect(problem.type, what).to.be.a('string');
    expect(text, what).not.to.match(/\bat .*\.(ts|js):\d+/);
  }

  it('when 1,200 generated bad bodies are posted, then each gets a 4xx problem+json and nothing is stored or queued', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(badRequests, async ({ body, contentType }) => {
        const response = await fetch(`${api.url}/orders`, {
          method: 'POST',
          headers: contentType === undefined ? {} : { 'content-type': contentType },
          body,
        });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        await expectProblem(response, `${String(contentType)} ${body.slice(0, 200)}`);
      }),
      { numRuns: 1200 },
    );
    expect(await mongo.db.collection('orders').countDocuments()).to.equal(0);
    expect(await inspector.count()).to.equal(0);
    // The generator reaches every kind of refusal, not only one.
    expect([...statuses.keys()].sort()).to.deep.equal([400, 413, 415]);
  });

  it('when 300 generated odd ids are fetched, then each gets a 4xx problem+json, never a 5xx', async () => {
    // An empty id is the collection, /orders/, which lists orders; so are "." and "..", which
    // URL parsing resolves as path segments before the request is sent.
    const oddId = fc
      .string({ minLength: 1, maxLength: 80 })
      .filter((id) => id !== '.' && id !== '..');
    await fc.assert(
      fc.asyncProperty(oddId, async (id) => {
        const response = await fetch(`${api.url}/orders/${encodeURIComponent(id)}`);
        await expectProblem(response, JSON.stringify(id));
      }),
      { numRuns: 300 },
    );
  });

  it('when 300 generated bad list queries are sent, then each gets a 400 problem+json and no operator reaches the store', async () => {
    const badQuery = fc.oneof(
      badId.map((value) => ({ user_id: value })),
      fc.string({ maxLength: 12 }).map((value) => ({ status: value })),
      fc
        .oneof(fc.integer({ max: 0 }), fc.integer({ min: 101 }), fc.string({ maxLength: 6 }))
        .filter((value) => !/^(?:[1-9]\d?|100)$/.test(String(value)))
        .map((value) => ({ limit: value })),
      fc.string({ maxLength: 40 }).map((value) => ({ cursor: value })),
      fc
        .string({ minLength: 1, maxLength: 10 })
        .filter((key) => !['user_id', 'status', 'limit', 'cursor'].includes(key))
        .map((key) => ({ [key]: '1' })),
    );
    const asSearch = (query: Record<string, unknown>) =>
      Object.entries(query)
        .flatMap(([key, value]) =>
          // Objects and arrays become repeated or bracketed parameters, as a client might send.
          typeof value === 'object' && value !== null
            ? Object.entries(value).map(
                ([inner, v]) =>
                  `${encodeURIComponent(`${key}[${inner}]`)}=${encodeURIComponent(String(v))}`,
              )
            : [`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`],
        )
        .join('&');
    await fc.assert(
      fc.asyncProperty(badQuery, async (query) => {
        const search = asSearch(query);
        const response = await fetch(`${api.url}/orders?${search}`);
        // A status that happens to be valid, or an empty object, is a fine query: skip it.
        if (response.status === 200) {
          expect(search, 'only a valid filter may pass').to.match(
            /^(?:status=(?:PENDING|CONFIRMED|FAILED)|user_id=[A-Za-z0-9][\w-]*|)$/,
          );
          return;
        }
        expect(response.status, search).to.equal(400);
        await expectProblem(response, search);
      }),
      { numRuns: 300 },
    );
  });
});
