import { createdOrderEvent } from '../../shared/domain/created-order-message.js';
import { failedOrderEvent } from '../../shared/domain/failed-order-message.js';
import { decideAfterLookupFailures } from '../../shared/domain/lookup-failure.js';
import {
  hasUnpublishedEvent,
  settlementOf,
  type Settlement,
} from '../../shared/domain/order-lifecycle.js';
import {
  deadlineFailure,
  isPastDeadline,
  msUntilDeadline,
} from '../../shared/domain/order-deadline.js';
import { hasTimeToPublish } from '../../shared/domain/outbox-lease.js';
import type { Order, OrderDetails, OrderFailure } from '../../shared/domain/order.js';
import { settledEntry, type HistoryEntry } from '../../shared/domain/order-history.js';
import { currentTraceCarrier, inSpan } from '../../shared/observability/trace-context.js';
import type { OrderRepository } from '../../shared/persistence/order-repository.js';
import {
  timeoutForAttempt,
  withinDeadline,
  type AttemptTimeouts,
} from '../../shared/domain/attempt-timeouts.js';
import {
  handBackToRelay,
  publishStoredEvent,
  type EventPublishing,
} from '../outbox/publish-stored-event.js';
import { learnedMore, lookUpOrderDetails, type Readers } from './look-up-order-details.js';
import { RetryLaterError, WaitForDependencyError, type OrderAttempt } from './order-attempt.js';

export interface ProcessOrderDependencies extends Readers, EventPublishing {
  orders: OrderRepository;
  lookupTimeouts: AttemptTimeouts;
  producer: string;
  /** How long the settling run holds its event before the relay may take it over. */
  eventLeaseMs: number;
  /** How long after acceptance an order may stay PENDING (ORDER_DEADLINE). */
  deadlineMs: number;
  newMessageId: () => string;
}

type Settled = { order: Order; won: boolean };

/** What a settling run adds to the order's history: its job's attempts, up to this one. */
interface RunRecord {
  attempt: number;
  entries: HistoryEntry[];
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

  /**
   * Settles the order as `move` says, its history told of the run's attempts and of the
   * change, made `by` the worker or the deadline.
   */
  async function settle(
    order: Order,
    move: Settlement,
    now: Date,
    run: RunRecord,
    by: 'worker' | 'deadline',
  ): Promise<Settled> {
    const change = settledEntry(now, move.status, by, {
      attempt: run.attempt,
      ...(move.status === 'FAILED' ? { failure: move.failure } : {}),
    });
    const settlement = settlementOf(order, move, [...run.entries, change]);
    // Settlements are written in batches: this span is the order's own part of one.
    const result = await inSpan('settle order', 'internal', (span) => {
      span.setAttributes({ 'order.id': order.id, 'order.status': settlement.status });
      return orders.settle(order.id, settlement, now, order);
    });
    // A run that lost the race (a duplicate job) carries on from the winner's settlement.
    if (result.won) {
      logger.info(
        {
          orderId: order.id,
          requestId: order.request_id,
          from: order.status,
          to: result.order.status,
          failure: result.order.failure ?? undefined,
        },
        'order state changed',
      );
    }
    return result;
  }

  /** What every event this run stores needs: a new id, its sender, and the first lease. */
  function eventContext(now: Date) {
    return {
      messageId: deps.newMessageId(),
      producer: deps.producer,
      now,
      leaseMs: deps.eventLeaseMs,
      traceContext: currentTraceCarrier(),
    };
  }

  function confirm(
    order: Order,
    details: OrderDetails,
    now: Date,
    run: RunRecord,
  ): Promise<Settled> {
    const event = createdOrderEvent(order, details, eventContext(now));
    return settle(order, { status: 'CONFIRMED', details, event }, now, run, 'worker');
  }

  function fail(
    order: Order,
    failure: OrderFailure,
    by: 'worker' | 'deadline',
    now: Date,
    run: RunRecord,
  ): Promise<Settled> {
    const event = failedOrderEvent(order, failure, eventContext(now));
    return settle(order, { status: 'FAILED', failure, event }, now, run, by);
  }

  async function enrich(order: Order, attempt: OrderAttempt): Promise<Settled> {
    const limit = withinDeadline(
      timeoutForAttempt(attempt.number, deps.lookupTimeouts),
      msUntilDeadline(order, deps.clock(), deps.deadlineMs),
    );
    const outcome = await lookUpOrderDetails(order, attempt.known, deps, limit, {
      attempt: attempt.number,
      clock: deps.clock,
    });
    const now = deps.clock();
    const run = { attempt: attempt.number, entries: [...attempt.earlier, ...outcome.entries] };
    // The deadline is a hard bound: details found after it come too late, and no retry may
    // begin after it.
    if (isPastDeadline(order, now, deps.deadlineMs))
      return fail(order, deadlineFailure(order, deps.deadlineMs), 'deadline', now, run);
    if (outcome.found) return confirm(order, outcome.details, now, run);

    const decision = decideAfterLookupFailures(outcome.failures, attempt);
    if (decision.action === 'fail') return fail(order, decision.failure, 'worker', now, run);

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

  /** Only the run whose settlement won holds the event's first lease. */
  async function publishOwnEvent({ order, won }: Settled): Promise<void> {
    if (!won || !hasUnpublishedEvent(order)) return;
    if (!hasTimeToPublish(order.event.lease, deps.clock(), deps.eventLeaseMs)) {
      logger.info({ orderId: order.id }, 'lease nearly over; the outbox relay will publish');
      return;
    }
    try {
      await publishStoredEvent(deps, order.id, order.event);
    } catch (error) {
      await handBackToRelay(deps, order.id, order.event, error);
    }
  }

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
      ? await fail(order, deadlineFailure(order, deps.deadlineMs), 'deadline', now, {
          attempt: attempt.number,
          entries: attempt.earlier,
        })
      : await enrich(order, attempt);
    await publishOwnEvent(settled);
    return settled.order;
  };
}

export type ProcessOrder = ReturnType<typeof createProcessOrderUseCase>;
