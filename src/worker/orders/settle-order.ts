import { createdOrderEvent } from '../../shared/domain/created-order-message.js';
import { failedOrderEvent } from '../../shared/domain/failed-order-message.js';
import {
  hasUnpublishedEvent,
  settlementOf,
  type Settlement,
} from '../../shared/domain/order-lifecycle.js';
import type { Order, OrderDetails, OrderFailure } from '../../shared/domain/order.js';
import { settledEntry, type HistoryEntry } from '../../shared/domain/order-history.js';
import { currentTraceCarrier, inSpan } from '../../shared/observability/trace-context.js';
import type { OrderRepository } from '../../shared/persistence/order-repository.js';
import { publishOwnEvent, type EventPublishing } from '../outbox/publish-stored-event.js';

/*
 * Settling: an order leaves PENDING once, with its event stored in the same write, and only
 * the run whose settlement won publishes that event (the outbox relay sends what it could not).
 */

export interface SettleDependencies extends EventPublishing {
  orders: OrderRepository;
  producer: string;
  /** How long the settling run holds its event before the relay may publish it. */
  eventLeaseMs: number;
  newMessageId: () => string;
}

export type Settled = { order: Order; won: boolean };

/** What a settling run adds to the order's history: its job's attempts, up to this one. */
interface RunRecord {
  attempt: number;
  entries: HistoryEntry[];
}

/** A settlement this run is about to make of `order` at `now`, `by` the worker or the deadline. */
interface Settling {
  order: Order;
  now: Date;
  run: RunRecord;
  by: 'worker' | 'deadline';
}

export function confirm(
  deps: SettleDependencies,
  { order, details, now, run }: Omit<Settling, 'by'> & { details: OrderDetails },
): Promise<Settled> {
  const event = createdOrderEvent(order, details, eventContext(deps, now));
  return settle(deps, {
    order,
    move: { status: 'CONFIRMED', details, event },
    now,
    run,
    by: 'worker',
  });
}

export function fail(
  deps: SettleDependencies,
  { order, failure, by, now, run }: Settling & { failure: OrderFailure },
): Promise<Settled> {
  const event = failedOrderEvent(order, failure, eventContext(deps, now));
  return settle(deps, { order, move: { status: 'FAILED', failure, event }, now, run, by });
}

/**
 * Settles the order as `move` says, its history told of the run's attempts and of the
 * change, made `by` the worker or the deadline.
 */
async function settle(
  deps: SettleDependencies,
  { order, move, now, run, by }: Settling & { move: Settlement },
): Promise<Settled> {
  const change = settledEntry(now, {
    to: move.status,
    by,
    attempt: run.attempt,
    ...(move.status === 'FAILED' ? { failure: move.failure } : {}),
  });
  const settlement = settlementOf(order, move, [...run.entries, change]);
  // Settlements are written in batches: this span is the order's own part of one.
  const result = await inSpan('settle order', 'internal', (span) => {
    span.setAttributes({ 'order.id': order.id, 'order.status': settlement.status });
    return deps.orders.settle(order.id, settlement, { now, pending: order });
  });
  // A run that lost the race (a duplicate job) carries on from the winner's settlement.
  if (result.won) {
    deps.logger.info(
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
function eventContext(deps: SettleDependencies, now: Date) {
  return {
    messageId: deps.newMessageId(),
    producer: deps.producer,
    now,
    leaseMs: deps.eventLeaseMs,
    traceContext: currentTraceCarrier(),
  };
}

/** Only the run whose settlement won holds the event's first lease. */
export async function publishIfWon(deps: SettleDependencies, { order, won }: Settled) {
  if (!won || !hasUnpublishedEvent(order)) return;
  await publishOwnEvent(deps, { orderId: order.id, event: order.event });
}
