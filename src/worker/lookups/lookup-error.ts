import type { LookupFailure } from '../../shared/domain/lookup-failure.js';

/** Carries a classified lookup failure from the HTTP edge to the use case. */
export class LookupError extends Error {
  constructor(readonly failure: LookupFailure) {
    super(`${failure.dependency} lookup of ${failure.resource} failed: ${failure.cause}`);
    this.name = 'LookupError';
  }
}
