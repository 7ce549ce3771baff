import type {
  IdempotencyRecord,
  IdempotencyStore,
  IdempotentOutcome,
} from '../../shared/persistence/idempotency-store.js';

export interface RunOnceDependencies {
  keys: IdempotencyStore;
  /** How long a key is kept at least (IDEMPOTENCY_KEY_TTL). */
  keyTtlMs: number;
}

/** The key's record, and whether this request is the one that claimed it. */
export interface Claim {
  record: IdempotencyRecord;
  /** This request claimed the key; otherwise it repeats the request that did. */
  first: boolean;
}

/** What the key records before any work: the order the request makes or acts on, and its plan. */
export type Plan = Pick<IdempotencyRecord, 'order_id' | 'outcome'>;

/** A request sent with an Idempotency-Key: what it claims the key with. */
export interface KeyedRequest {
  /** The key as stored, scoped to its owner (scopedKey). */
  key: string;
  /** The same key with another fingerprint is a different request: it is refused. */
  fingerprint: string;
  /** When the request came: the key is kept from then. */
  now: Date;
  /**
   * Recorded with the key before the work starts, so a repeat carries on with what the first
   * request set out to do, even when that one stopped half-way.
   */
  plan: Plan;
}

/** A keyed request and the work it stands for. */
export interface IdempotentRequest<Result> extends KeyedRequest {
  /** For a repeat: the first request's answer when its work is done, or null to run it. */
  replay: (claim: Claim) => Result | null | Promise<Result | null>;
  /** The work: the first time, or to finish what an earlier request with the key left. */
  run: (claim: Claim) => Promise<Result>;
  /** What of the result a repeat replays, when the plan and the orders do not tell it. */
  keep?: (result: Result) => IdempotentOutcome;
}

/**
 * Runs a request once per Idempotency-Key: claim the key with the request's plan → refuse a
 * different request under it → on a repeat, replay the first answer if its work is done →
 * otherwise run the work → record what it did. Of concurrent requests with one key exactly
 * one claims it; the others are repeats.
 */
export function createRunOnce(deps: RunOnceDependencies) {
  return async function runOnce<Result>(request: IdempotentRequest<Result>): Promise<Result> {
    const claim = await claimKey(deps, request);
    if (claim.record.fingerprint !== request.fingerprint)
      throw new IdempotencyKeyReusedError(request.key);
    const replayed = claim.first ? null : await request.replay(claim);
    if (replayed !== null) return replayed;
    const result = await request.run(claim);
    // What the result adds joins the plan, which a later repeat may still need.
    if (request.keep !== undefined)
      await deps.keys.recordOutcome(request.key, {
        ...claim.record.outcome,
        ...request.keep(result),
      });
    return result;
  };
}

export type RunOnce = ReturnType<typeof createRunOnce>;

/** The Idempotency-Key was first used with a different request. */
export class IdempotencyKeyReusedError extends Error {
  constructor(readonly key: string) {
    super('this Idempotency-Key was used with a different request');
    this.name = 'IdempotencyKeyReusedError';
  }
}

async function claimKey(
  deps: RunOnceDependencies,
  { key, fingerprint, now, plan }: KeyedRequest,
): Promise<Claim> {
  const { record, fresh } = await deps.keys.remember({
    key,
    fingerprint,
    ...plan,
    created_at: now,
    expires_at: new Date(now.getTime() + deps.keyTtlMs),
  });
  return { record, first: fresh };
}
