import { expect } from 'chai';
import type { Cluster } from 'ioredis';
import { Registry } from 'prom-client';
import { loadCommonConfig } from '../../src/shared/config/config.js';
import { redisCheck } from '../../src/shared/observability/dependency-checks.js';
import { checkReadiness } from '../../src/shared/observability/readiness.js';
import { watchEvictionPolicy } from '../../src/shared/observability/redis-eviction-policy.js';
import { createRedisConnection } from '../../src/shared/queue/redis-connection.js';
import { requireClusterOk } from '../support/redis-cluster.js';
import { redisClusterNodes } from '../support/services.js';
import { testLogger } from '../support/test-logger.js';

const settings = loadCommonConfig({
  REDIS_CLUSTER_NODES: redisClusterNodes,
  QUEUE_PREFIX: '{orders}',
}).redis;

describe('readiness and the eviction-policy check on a Redis Cluster (the local three masters)', () => {
  const cluster = createRedisConnection(settings, 'producer') as Cluster;

  before(async () => {
    await requireClusterOk(cluster);
  });
  afterEach(async () => {
    await Promise.all(
      cluster.nodes('master').map((node) => node.config('SET', 'maxmemory-policy', 'noeviction')),
    );
  });
  after(() => {
    cluster.disconnect();
  });

  it('when every master runs noeviction, then readiness shows the cluster up without a warning', async () => {
    const readiness = await checkReadiness([redisCheck(cluster, true)], 1000);
    expect(readiness.checks.redis).to.deep.equal({ required: true, status: 'up' });
  });

  it('when one master of three may evict keys, then readiness and the metric name its policy', async () => {
    const [, second] = cluster.nodes('master');
    await second?.config('SET', 'maxmemory-policy', 'volatile-lru');

    const readiness = await checkReadiness([redisCheck(cluster, true)], 1000);
    expect(readiness.checks.redis).to.deep.equal({
      required: true,
      status: 'up',
      warning:
        'maxmemory-policy is volatile-lru: a full Redis may evict queued jobs; BullMQ needs noeviction',
    });
    const registry = new Registry();
    watchEvictionPolicy(cluster, registry, testLogger);
    expect(await registry.getSingleMetricAsString('redis_maxmemory_policy')).to.contain(
      'redis_maxmemory_policy{policy="volatile-lru"} 1',
    );
  });

  it('when no node of the cluster answers, then readiness shows Redis down at once', async () => {
    const unreachable = createRedisConnection(
      { url: settings.url, clusterNodes: [{ host: '127.0.0.1', port: 1 }] },
      'producer',
    );
    unreachable.on('error', () => {
      // Expected: nothing listens there.
    });
    try {
      const started = Date.now();
      const readiness = await checkReadiness([redisCheck(unreachable, true)], 1000);
      expect(readiness.status).to.equal('unavailable');
      expect(readiness.checks.redis?.status).to.equal('down');
      expect(Date.now() - started, 'failed fast, not at the time limit').to.be.lessThan(900);
    } finally {
      unreachable.disconnect();
    }
  });
});
