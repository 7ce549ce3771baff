import { expect } from 'chai';
import { readinessStatus } from '../../src/shared/observability/readiness.js';

const up = (required: boolean) => ({ required, status: 'up' as const });
const down = (required: boolean) => ({ required, status: 'down' as const, error: 'x' });

describe('readiness', () => {
  it('when every dependency answers, then the process is ready', () => {
    expect(readinessStatus([up(true), up(false)])).to.equal('ready');
  });

  it('when only dependencies the process copes without are down, then it is degraded, not unavailable', () => {
    expect(readinessStatus([up(true), down(false), down(false)])).to.equal('degraded');
  });

  it('when a required dependency is down, then it is unavailable, whatever else answers', () => {
    expect(readinessStatus([down(true), up(false)])).to.equal('unavailable');
    expect(readinessStatus([down(true), down(false)])).to.equal('unavailable');
  });
});
