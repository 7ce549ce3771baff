import nock from 'nock';
import {
  createResourceBreakers,
  type BreakerSettings,
  type ResourceBreakers,
} from '../../src/worker/lookups/resource-breakers.js';
import { testLogger } from './test-logger.js';

/**
 * Registers hooks that fence all HTTP with nock for the suite and give each test fresh
 * breakers with `settings`; read them through the returned holder.
 */
export function useFencedBreakers(settings: BreakerSettings): { breakers: ResourceBreakers } {
  const holder = {} as { breakers: ResourceBreakers };
  before(() => {
    nock.disableNetConnect();
  });
  after(() => {
    nock.enableNetConnect();
  });
  beforeEach(() => {
    holder.breakers = createResourceBreakers(settings, testLogger);
  });
  afterEach(() => {
    holder.breakers.shutdown();
    nock.cleanAll();
  });
  return holder;
}
