import { expect } from 'chai';
import { ConfigError, loadApiConfig, loadWorkerConfig } from '../../src/shared/config/config.js';

describe('configuration', () => {
  it('when nothing is set, then the documented defaults apply', () => {
    const config = loadWorkerConfig({});
    expect(config.queue).to.deep.equal({
      name: 'orders',
      prefix: 'bull',
      attempts: 6,
      retryBaseDelayMs: 500,
    });
    expect(config.redis).to.deep.equal({ url: 'redis://127.0.0.1:6379', clusterNodes: null });
    expect(config.lookupTimeouts).to.deep.equal({ firstMs: 2000, patientMs: 75_000 });
    expect(config.rabbitmq).to.deep.equal({
      url: 'amqp://guest:guest@127.0.0.1:5672',
      exchange: 'orders',
    });
    expect(loadApiConfig({}).port).to.equal(3000);
  });

  it('when a variable is empty, then it counts as not set', () => {
    expect(loadApiConfig({ PORT: '' }).port).to.equal(3000);
  });

  it('when variables are invalid, then start-up fails naming each of them', () => {
    const load = () =>
      loadWorkerConfig({
        WORKER_CONCURRENCY: 'many',
        USER_SERVICE_URL: 'ftp://x',
        MONGO_URL: 'http://db',
      });
    expect(load).to.throw(ConfigError);
    try {
      load();
    } catch (error) {
      const names = (error as ConfigError).problems.map((problem) => problem.split(':')[0]);
      expect(names).to.have.members(['WORKER_CONCURRENCY', 'USER_SERVICE_URL', 'MONGO_URL']);
    }
  });

  it('when durations are given with a unit, then they are read in milliseconds', () => {
    expect(loadWorkerConfig({}).orderDeadlineMs).to.equal(10 * 60_000);
    expect(loadApiConfig({}).idempotencyKeyTtlMs).to.equal(24 * 3_600_000);
    expect(loadWorkerConfig({ ORDER_DEADLINE: '90s' }).orderDeadlineMs).to.equal(90_000);
    expect(loadWorkerConfig({ ORDER_DEADLINE: '1500' }).orderDeadlineMs).to.equal(1500);
    expect(loadApiConfig({ IDEMPOTENCY_KEY_TTL: '2d' }).idempotencyKeyTtlMs).to.equal(172_800_000);
  });

  it('when a duration is malformed or zero, then start-up fails naming it', () => {
    for (const value of ['10 minutes', '-5m', '0s', '1.5h', '366d', '99999999999999d']) {
      expect(() => loadWorkerConfig({ ORDER_DEADLINE: value }), value).to.throw(
        ConfigError,
        /ORDER_DEADLINE/,
      );
    }
  });

  it('when a setting would weaken a protection, then start-up fails naming it and the bound', () => {
    const refusals: [() => unknown, RegExp][] = [
      [() => loadApiConfig({ AUTH_CLOCK_SKEW: '6m' }), /^AUTH_CLOCK_SKEW: must be at most 5m/],
      [
        () => loadApiConfig({ IDEMPOTENCY_KEY_TTL: '1ms' }),
        /^IDEMPOTENCY_KEY_TTL: must be at least 1h/,
      ],
      [
        () => loadApiConfig({ IDEMPOTENCY_KEY_TTL: '59m' }),
        /^IDEMPOTENCY_KEY_TTL: must be at least 1h/,
      ],
      [
        () => loadWorkerConfig({ OUTBOX_LEASE_MS: '19999' }),
        /^OUTBOX_LEASE_MS: must be at least twice EVENT_CONFIRM_TIMEOUT \(20000 ms; got 19999\)/,
      ],
      [
        () => loadWorkerConfig({ OUTBOX_LEASE_MS: '30000', EVENT_CONFIRM_TIMEOUT: '16s' }),
        /^OUTBOX_LEASE_MS: must be at least twice EVENT_CONFIRM_TIMEOUT/,
      ],
    ];
    for (const [load, problem] of refusals) {
      try {
        load();
        expect.fail(`accepted, expected ${String(problem)}`);
      } catch (error) {
        expect(error).to.be.instanceOf(ConfigError);
        expect((error as ConfigError).problems).to.satisfy((problems: string[]) =>
          problems.some((text) => problem.test(text)),
        );
      }
    }
    // At the bounds themselves they are taken.
    expect(
      loadApiConfig({ AUTH_CLOCK_SKEW: '5m', IDEMPOTENCY_KEY_TTL: '1h' }).idempotencyKeyTtlMs,
    ).to.equal(3_600_000);
    expect(
      loadWorkerConfig({ OUTBOX_LEASE_MS: '5000', EVENT_CONFIRM_TIMEOUT: '2500ms' }).outbox,
    ).to.deep.equal({ leaseMs: 5000, relayIntervalMs: 1000, confirmTimeoutMs: 2500 });
  });

  it('when an authentication mode lacks what it needs, then start-up fails naming it', () => {
    expect(loadApiConfig({}).auth).to.deep.equal({ mode: 'none' });
    expect(() => loadApiConfig({ AUTH_MODE: 'api-key' })).to.throw(ConfigError, /AUTH_API_KEYS/);
    expect(() => loadApiConfig({ AUTH_MODE: 'api-key', AUTH_API_KEYS: '{not json' })).to.throw(
      ConfigError,
      /AUTH_API_KEYS: must be a JSON list/,
    );
    expect(() =>
      loadApiConfig({
        AUTH_MODE: 'api-key',
        AUTH_API_KEYS: JSON.stringify([{ client_id: 'shop', key_sha256: 'abc', scopes: [] }]),
      }),
    ).to.throw(ConfigError, /AUTH_API_KEYS/);
    const jwt = (extra: Record<string, string>) =>
      loadApiConfig({ AUTH_MODE: 'jwt', AUTH_JWKS_URL: 'https://issuer.test/jwks', ...extra });
    expect(() => jwt({ AUTH_JWT_AUDIENCE: 'orders' })).to.throw(ConfigError, /AUTH_JWT_ISSUER/);
    expect(() => jwt({ AUTH_JWT_ISSUER: 'https://issuer.test' })).to.throw(
      ConfigError,
      /AUTH_JWT_AUDIENCE/,
    );
    expect(() =>
      jwt({ AUTH_JWT_ISSUER: 'i', AUTH_JWT_AUDIENCE: 'a', AUTH_JWT_ALGORITHMS: 'HS256' }),
    ).to.throw(ConfigError, /AUTH_JWT_ALGORITHMS/);
    expect(jwt({ AUTH_JWT_ISSUER: 'i', AUTH_JWT_AUDIENCE: 'a' }).auth).to.deep.include({
      mode: 'jwt',
      algorithms: ['RS256', 'ES256', 'EdDSA'],
      clockSkewSeconds: 30,
    });
  });

  it('when only one of the administrator credentials is set, then start-up fails naming the other', () => {
    expect(() => loadApiConfig({ ADMIN_USER: 'admin' })).to.throw(ConfigError, /ADMIN_PASSWORD/);
    expect(() => loadApiConfig({ ADMIN_PASSWORD: 'long-enough-secret' })).to.throw(
      ConfigError,
      /ADMIN_USER/,
    );
    expect(() => loadApiConfig({ ADMIN_USER: 'admin', ADMIN_PASSWORD: 'short' })).to.throw(
      ConfigError,
      /ADMIN_PASSWORD/,
    );
    expect(() =>
      loadApiConfig({ ADMIN_USER: 'ad:min', ADMIN_PASSWORD: 'long-enough-secret' }),
    ).to.throw(ConfigError, /ADMIN_USER/);
    expect(loadApiConfig({}).admin).to.equal(null);
    expect(
      loadApiConfig({ ADMIN_USER: 'admin', ADMIN_PASSWORD: 'long-enough-secret' }).admin,
    ).to.deep.equal({ user: 'admin', password: 'long-enough-secret' });
  });

  it('when logging and the worker port are not set, then JSON logs and port 3001 apply', () => {
    const config = loadWorkerConfig({});
    expect(config.log).to.deep.equal({ level: 'info', format: 'json' });
    expect(config.port).to.equal(3001);
    expect(() => loadWorkerConfig({ LOG_FORMAT: 'xml' })).to.throw(ConfigError, /LOG_FORMAT/);
  });

  it('when REDIS_CLUSTER_NODES lists host:port pairs, then they are the nodes of the cluster', () => {
    const config = loadApiConfig({
      REDIS_CLUSTER_NODES: 'redis-1:7001, 10.0.0.2:7002,[::1]:7003',
      QUEUE_PREFIX: '{orders}',
    });
    expect(config.redis.clusterNodes).to.deep.equal([
      { host: 'redis-1', port: 7001 },
      { host: '10.0.0.2', port: 7002 },
      { host: '::1', port: 7003 },
    ]);
    expect(config.queue.prefix).to.equal('{orders}');
  });

  it('when a cluster node is not host:port, then start-up fails naming REDIS_CLUSTER_NODES', () => {
    for (const value of [
      'redis-1',
      'redis-1:7001,',
      'redis://redis-1:7001',
      'redis-1:99999',
      ':7001',
    ]) {
      expect(
        () => loadWorkerConfig({ REDIS_CLUSTER_NODES: value, QUEUE_PREFIX: '{orders}' }),
        value,
      ).to.throw(ConfigError, /REDIS_CLUSTER_NODES/);
    }
  });

  it('when REDIS_CLUSTER_NODES is set and QUEUE_PREFIX has no hash tag, then start-up fails saying the prefix needs one', () => {
    const nodes = { REDIS_CLUSTER_NODES: '127.0.0.1:7001' };
    // The default too: BullMQ's `bull` would put each key of a queue in a slot of its own.
    for (const prefix of [undefined, 'orders', '{}orders', 'orders{', '{}{orders}', 'a}{b']) {
      expect(
        () =>
          loadWorkerConfig({ ...nodes, ...(prefix === undefined ? {} : { QUEUE_PREFIX: prefix }) }),
        String(prefix),
      ).to.throw(ConfigError, /QUEUE_PREFIX: must carry a hash tag such as \{orders\}/);
    }
    for (const prefix of ['{orders}', 'shop:{orders}', '{orders}:v2']) {
      expect(loadWorkerConfig({ ...nodes, QUEUE_PREFIX: prefix }).queue.prefix, prefix).to.equal(
        prefix,
      );
    }
  });

  it('when QUEUE_PREFIX is set without a cluster, then any prefix of the allowed characters is used', () => {
    expect(loadApiConfig({ QUEUE_PREFIX: 'shop' }).queue.prefix).to.equal('shop');
    expect(loadApiConfig({ QUEUE_PREFIX: '{orders}' }).queue.prefix).to.equal('{orders}');
    expect(() => loadApiConfig({ QUEUE_PREFIX: 'my shop' })).to.throw(ConfigError, /QUEUE_PREFIX/);
  });
});
