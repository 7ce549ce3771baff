import { EventEmitter } from 'node:events';
import CircuitBreaker from 'opossum';
import { LRUCache } from 'lru-cache';
import {
  answeredLately,
  answeredLatelyHorizonMs,
  countsAgainstBreaker,
  countsAgainstService,
  describeFailure,
  type Dependency,
  type LookupFailure,
  withRecentAnswers,
} from '../../shared/domain/lookup-failure.js';
import type { Logger } from '../../shared/observability/logger.js';
import { LookupError } from './lookup-error.js';

export interface BreakerSettings {
  errorThresholdPercentage: number;
  volumeThreshold: number;
  resetTimeoutMs: number;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

/** Runs a lookup through the breaker of the one resource it reads. */
export interface ResourceBreakers {
  run<T>(dependency: Dependency, resource: string, lookup: () => Promise<T>): Promise<T>;
  /** How many breakers of each service are in each state (for metrics). */
  states(): { service: Dependency; state: BreakerState; count: number }[];
  shutdown(): void;
}

const ROLLING_WINDOW_MS = 10_000;
const BUCKET_MS = 1_000;

interface Entry {
  dependency: Dependency;
  breaker: CircuitBreaker<[() => Promise<unknown>]>;
  lastFailure: string;
  /** When a call through it last got a usable answer (epoch ms); resource breakers only. */
  lastSuccessAt?: number;
}

function stateOf(breaker: CircuitBreaker): BreakerState {
  if (breaker.halfOpen) return 'half_open';
  return breaker.opened ? 'open' : 'closed';
}

/**
 * One breaker per resource (user id, product code), not per service: the broken veggie-box
 * must not stop classic-box orders, and a slow family-box must not either. The breakers live
 * in a bounded LRU so a stream of distinct ids cannot grow memory without limit; an open one
 * is set aside until it closes, so that stream cannot reset it either.
 *
 * Each also remembers when its resource last answered, and marks an error status or a refusal
 * of a resource that answered lately as intermittent: the resource works, only not for this
 * call, so the failure is no evidence against the order that made it (see lookup-failure).
 */
export function createResourceBreakers(
  settings: BreakerSettings,
  logger: Logger,
  maxResources = 10_000,
): ResourceBreakers {
  // One timer rotates the statistics buckets of every breaker (opossum would start two
  // timers per breaker otherwise).
  const rotation = new EventEmitter();
  rotation.setMaxListeners(0);
  const rotate = setInterval(() => rotation.emit('rotate'), BUCKET_MS);
  rotate.unref();
  const horizonMs = answeredLatelyHorizonMs({
    resetTimeoutMs: settings.resetTimeoutMs,
    rollingWindowMs: ROLLING_WINDOW_MS,
  });

  const entries = new LRUCache<string, Entry>({
    max: maxResources,
    dispose: (entry, _key, reason) => {
      // Deleted to be pinned (see `tripped`), not dropped.
      if (reason !== 'delete') entry.breaker.shutdown();
    },
  });
  /**
   * Breakers that are open or half-open, kept out of the LRU until they close: a stream of
   * other ids must not evict the breaker of a failing resource and so reset it. Bounded too;
   * when it is full a tripping breaker stays in the LRU.
   */
  const tripped = new Map<string, Entry>();

  function pin(key: string, entry: Entry): void {
    if (tripped.has(key) || tripped.size >= maxResources) return;
    tripped.set(key, entry);
    entries.delete(key);
  }

  function unpin(key: string, entry: Entry): void {
    if (!tripped.delete(key)) return;
    entries.set(key, entry);
  }

  /**
   * One breaker per service, inside the resource's: it counts only failures that say the
   * service is away for everyone (countsAgainstService), so one broken resource never opens
   * it, and while it is open no call of that service is made.
   */
  const services = new Map<Dependency, Entry>();

  function serviceEntry(dependency: Dependency): Entry {
    const existing = services.get(dependency);
    if (existing !== undefined) return existing;
    const entry = watched(dependency, dependency, (failure) => !countsAgainstService(failure));
    services.set(dependency, entry);
    return entry;
  }

  /** A breaker over calls, with its state changes logged and its last failure kept. */
  function watched(
    dependency: Dependency,
    name: string,
    ignores: (failure: LookupFailure) => boolean,
  ): Entry {
    const breaker = new CircuitBreaker((call: () => Promise<unknown>) => call(), {
      name,
      timeout: false, // each attempt carries its own time limit (see attempt-timeouts)
      errorThresholdPercentage: settings.errorThresholdPercentage,
      volumeThreshold: settings.volumeThreshold,
      resetTimeout: settings.resetTimeoutMs,
      rollingCountTimeout: ROLLING_WINDOW_MS,
      rollingCountBuckets: ROLLING_WINDOW_MS / BUCKET_MS,
      rotateBucketController: rotation,
      enableSnapshots: false,
      // A lookup failure counts unless `ignores` says so; anything else thrown (a bug) counts.
      errorFilter: (error: unknown) => error instanceof LookupError && ignores(error.failure),
    });
    const entry: Entry = { dependency, breaker, lastFailure: 'unknown' };
    breaker.on('failure', (error: unknown) => {
      entry.lastFailure =
        error instanceof LookupError ? describeFailure(error.failure) : String(error);
    });
    breaker.on('open', () => {
      logger.warn({ breaker: name, lastFailure: entry.lastFailure }, 'breaker opened');
    });
    breaker.on('halfOpen', () => {
      logger.info({ breaker: name }, 'breaker half-open');
    });
    breaker.on('close', () => {
      logger.info({ breaker: name }, 'breaker closed');
    });
    return entry;
  }

  function entryFor(dependency: Dependency, resource: string): Entry {
    const key = `${dependency}:${resource}`;
    const existing = tripped.get(key) ?? entries.get(key);
    if (existing !== undefined) return existing;

    const entry = watched(dependency, key, (failure) => !countsAgainstBreaker(failure));
    entry.breaker.on('open', () => {
      pin(key, entry);
    });
    entry.breaker.on('close', () => {
      unpin(key, entry);
    });
    entries.set(key, entry);
    return entry;
  }

  return {
    async run<T>(dependency: Dependency, resource: string, lookup: () => Promise<T>): Promise<T> {
      const entry = entryFor(dependency, resource);
      const service = serviceEntry(dependency);
      const throughService = async () => {
        // A half-open breaker's trial call asks on behalf of every waiting order: its failure
        // says the service is still down, and must not cost this order an attempt.
        const trial = service.breaker.halfOpen;
        try {
          return (await service.breaker.fire(lookup)) as T;
        } catch (error) {
          const stillDown =
            trial && error instanceof LookupError && countsAgainstService(error.failure);
          if (!isBreakerRejection(error) && !stillDown) throw error;
          throw new LookupError({
            dependency,
            resource,
            cause: 'service-down',
            lastFailure: service.lastFailure,
          });
        }
      };
      let answer: T;
      try {
        answer = (await entry.breaker.fire(throughService)) as T;
      } catch (error) {
        const failure: LookupFailure | undefined = isBreakerRejection(error)
          ? { dependency, resource, cause: 'circuit-open', lastFailure: entry.lastFailure }
          : error instanceof LookupError
            ? error.failure
            : undefined;
        if (failure === undefined) throw error;
        const lately = answeredLately(entry.lastSuccessAt, Date.now(), horizonMs);
        const seen = withRecentAnswers(failure, lately);
        throw seen === failure && error instanceof LookupError ? error : new LookupError(seen);
      }
      // Counted here rather than on opossum's 'success', which also fires for what the
      // breaker ignores (a 404, a short timeout, a refusal by the service's breaker).
      entry.lastSuccessAt = Date.now();
      return answer;
    },
    states() {
      const counts = new Map<string, { service: Dependency; state: BreakerState; count: number }>();
      for (const entry of [...entries.values(), ...tripped.values()]) {
        const state = stateOf(entry.breaker);
        const key = `${entry.dependency}/${state}`;
        const found = counts.get(key) ?? { service: entry.dependency, state, count: 0 };
        found.count++;
        counts.set(key, found);
      }
      return [...counts.values()];
    },
    shutdown() {
      clearInterval(rotate);
      for (const entry of services.values()) entry.breaker.shutdown();
      services.clear();
      for (const entry of tripped.values()) entry.breaker.shutdown();
      tripped.clear();
      entries.clear();
    },
  };
}

function isBreakerRejection(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'EOPENBREAKER' || code === 'ESEMLOCKED';
}
