import { expect } from 'chai';
import { Registry } from 'prom-client';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { redisCheck } from '../../src/shared/observability/dependency-checks.js';
import { checkReadiness } from '../../src/shared/observability/readiness.js';
import { watchEvictionPolicy } from '../../src/shared/observability/redis-eviction-policy.js';
import { readEvictionPolicy } from '../../src/shared/queue/eviction-policy.js';
import { createRedisConnection, whenReady } from '../../src/shared/queue/redis-connection.js';
import { eventually } from '../support/eventually.js';
import { services } from '../support/services.js';

describe('Redis eviction policy (real Redis)', () => {
  const redis = createRedisConnection(services.redisUrl, 'producer');
  let original: string | null = null;

  before(async () => {
    // The connection fails commands fast until it is up (as the service's does).
    await whenReady(redis);
    original = await readEvictionPolicy(redis);
    expect(original, 'the local Redis runs as BullMQ needs').to.equal('noeviction');
  });
  afterEach(async () => {
    await redis.config('SET', 'maxmemory-policy', original ?? 'noeviction');
  });
  after(() => {
    redis.disconnect();
  });

  it('when Redis runs with noeviction, then readiness shows it up without a warning', async () => {
    const readiness = await checkReadiness([redisCheck(redis, true)], 1000);
    expect(readiness.checks.redis).to.deep.equal({ required: true, status: 'up' });
  });

  it('when Redis may evict keys, then readiness, the metric and the start-up log all say so', async () => {
    await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');

    const readiness = await checkReadiness([redisCheck(redis, true)], 1000);
    expect(readiness.status).to.equal('ready');
    expect(readiness.checks.redis).to.deep.equal({
      required: true,
      status: 'up',
      warning:
        'maxmemory-policy is allkeys-lru: a full Redis may evict queued jobs; BullMQ needs noeviction',
    });

    const lines: { msg?: string; policy?: string }[] = [];
    const logger = pino(
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(JSON.parse(chunk.toString()) as { msg?: string; policy?: string });
          done();
        },
      }),
    );
    const registry = new Registry();
    watchEvictionPolicy(redis, registry, logger);
    expect(await registry.getSingleMetricAsString('redis_maxmemory_policy')).to.contain(
      'redis_maxmemory_policy{policy="allkeys-lru"} 1',
    );
    const [warned] = await eventually(
      () => Promise.resolve(lines),
      (found) => found.length > 0,
      { what: 'the start-up warning' },
    );
    expect(warned?.policy).to.equal('allkeys-lru');
  });
});
