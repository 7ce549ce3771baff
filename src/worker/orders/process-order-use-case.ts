import { decideAfterLookupFailures } from '../../shared/domain/lookup-failure.js';
import {
  deadlineFailure,
  isPastDeadline,
  msUntilDeadline,
} from '../../shared/domain/order-deadline.js';
import type { Order } from '../../shared/domain/order.js';
import type { OrderRepository } from '../../shared/persistence/order-repository.js';
import {
  timeoutForAttempt,
  withinDeadline,
  type AttemptTimeouts,
} from '../../shared/domain/attempt-timeouts.js';
import { learnedMore, lookUpOrderDetails, type Readers } from './look-up-order-details.js';
import { RetryLaterError, WaitForDependencyError, type OrderAttempt } from './order-attempt.js';
import {
  confirm,
  fail,
  publishIfWon,
  type Settled,
  type SettleDependencies,
} from './settle-order.js';

export interface ProcessOrderDependencies extends Readers, SettleDependencies {
  orders: OrderRepository;
  lookupTimeouts: AttemptTimeouts;
  /** How long after acceptance an order may stay PENDING (ORDER_DEADLINE). */
  deadlineMs: number;
}

/**
 * Takes a PENDING order to its final state and gets its event to the broker:
 * find the order (or take the one the job carries) → (past its deadline: fail) look up user
 * and product, within the deadline → confirm or fail, each with its event → publish. Every
 * step is safe to repeat: a rerun skips what is done, and an event this run could not
 * publish is left to the outbox relay.
 */
export function createProcessOrderUseCase(deps: ProcessOrderDependencies) {
  const { orders, logger } = deps;

  return async function processOrder(attempt: OrderAttempt): Promise<Order | null> {
    // A job begins from the order it carries when it can trust it (see attemptFromJob):
    // reading it back would cost a round trip per attempt and tell nothing new.
    const order = attempt.accepted ?? (await orders.findById(attempt.orderId));
    if (order === null) {
      logger.warn({ orderId: attempt.orderId }, 'job for an unknown order, nothing to do');
      return null;
    }
    if (order.status !== 'PENDING') return order; // settled before; the relay owns its event
    if (order.generation !== attempt.generation) {
      // A late job of the generation before an operator's re-drive: the new one has its own.
      logger.info(
        { orderId: order.id, job: attempt.generation, order: order.generation },
        'job of an earlier generation, nothing to do',
      );
      return order;
    }
    const now = deps.clock();
    const settled = isPastDeadline(order, now, deps.deadlineMs)
      ? await fail(deps, {
          order,
          failure: deadlineFailure(order, deps.deadlineMs),
          by: 'deadline',
          now,
          run: { attempt: attempt.number, entries: attempt.earlier },
        })
      : await enrich(deps, order, attempt);
    await publishIfWon(deps, settled);
    return settled.order;
  };
}

export type ProcessOrder = ReturnType<typeof createProcessOrderUseCase>;

/**
 * Looks up the order's user and product within its deadline, then confirms it, fails it, or
 * hands it back to the queue to retry or to wait for a dependency.
 */
async function enrich(
  deps: ProcessOrderDependencies,
  order: Order,
  attempt: OrderAttempt,
): Promise<Settled> {
  const { logger } = deps;
  const limit = withinDeadline(
    timeoutForAttempt(attempt.number, deps.lookupTimeouts),
    msUntilDeadline(order, deps.clock(), deps.deadlineMs),
  );
  const outcome = await lookUpOrderDetails({
    order,
    known: attempt.known,
    readers: deps,
    limit,
    recording: { attempt: attempt.number, clock: deps.clock },
  });
  const now = deps.clock();
  const run = { attempt: attempt.number, entries: [...attempt.earlier, ...outcome.entries] };
  // The deadline is a hard bound: details found after it come too late, and no retry may
  // begin after it.
  if (isPastDeadline(order, now, deps.deadlineMs)) {
    const failure = deadlineFailure(order, deps.deadlineMs);
    return fail(deps, { order, failure, by: 'deadline', now, run });
  }
  if (outcome.found) return confirm(deps, { order, details: outcome.details, now, run });

  const decision = decideAfterLookupFailures(outcome.failures, attempt);
  if (decision.action === 'fail')
    return fail(deps, { order, failure: decision.failure, by: 'worker', now, run });

  // Only what this attempt learned is worth a write (a bounced wait learns nothing). A run
  // that waits keeps the calls it made with the job, for the history; a retry's entries
  // ride on the retry itself, and calls a breaker or a bulkhead refused are not kept.
  const waitedCalls = decision.action === 'wait' ? outcome.made : [];
  if (learnedMore(attempt.known, outcome.known) || waitedCalls.length > 0)
    await attempt.remember(outcome.known, waitedCalls);
  const context = {
    orderId: order.id,
    requestId: order.request_id,
    attempt: attempt.number,
    reason: decision.reason,
  };
  if (decision.action === 'retry') {
    logger.info(context, 'lookup failed, will retry');
    throw new RetryLaterError(decision.reason, outcome.entries);
  }
  // A wait spends no attempt and, under an outage, comes back many times a minute.
  if (decision.for === 'service') {
    logger.info(context, 'a service is down for everyone, waiting for it');
  } else if (decision.for === 'resource') {
    // Says nothing about the order: the resource answers other calls, or its breaker
    // refused this one while it does. Can happen for many orders a second: debug only.
    logger.debug(context, 'a resource that answers other calls failed this one, asking again');
  } else {
    // Can happen for every order each second under a hanging service: the metrics count it.
    logger.debug(context, 'a service has no room for another call, waiting for one');
  }
  throw new WaitForDependencyError(decision.for, decision.reason);
}
