import { createdOrderEvent } from '../../shared/domain/created-order-message.js';
import { decideAfterLookupFailures } from '../../shared/domain/lookup-failure.js';
import { hasUnpublishedEvent, type Settlement } from '../../shared/domain/order-lifecycle.js';
import type { Order, OrderDetails, OrderFailure } from '../../shared/domain/order.js';
import { timeoutForAttempt, type AttemptTimeouts } from '../../shared/domain/attempt-timeouts.js';
import type { EventPublisher } from '../../shared/messaging/event-publisher.js';
import type { Logger } from '../../shared/observability/logger.js';
import type { OrderRepository } from '../../shared/persistence/order-repository.js';
import { lookUpOrderDetails, type Readers } from './look-up-order-details.js';
import { RetryLaterError, type OrderAttempt } from './order-attempt.js';

export interface ProcessOrderDependencies extends Readers {
  orders: OrderRepository;
  publisher: EventPublisher;
  lookupTimeouts: AttemptTimeouts;
  producer: string;
  newMessageId: () => string;
  clock: () => Date;
  logger: Logger;
}

/**
 * Takes a PENDING order to its final state and gets its event to the broker:
 * find the order → look up user and product → confirm (with its event) or fail → publish.
 * Every step is safe to repeat: a rerun skips what is already done.
 */
export function createProcessOrderUseCase(deps: ProcessOrderDependencies) {
  const { orders, publisher, logger } = deps;

  async function settle(order: Order, settlement: Settlement, now: Date): Promise<Order> {
    const result = await orders.settle(order.id, settlement, now);
    if (result === null) return order;
    // A run that lost the race (a duplicate job) carries on from the winner's settlement.
    if (result.won) {
      logger.info(
        {
          orderId: order.id,
          from: order.status,
          to: result.order.status,
          failure: result.order.failure ?? undefined,
        },
        'order state changed',
      );
    }
    return result.order;
  }

  function confirm(order: Order, details: OrderDetails): Promise<Order> {
    const now = deps.clock();
    const event = createdOrderEvent(order, details, {
      messageId: deps.newMessageId(),
      producer: deps.producer,
      now,
    });
    return settle(order, { status: 'CONFIRMED', details, event }, now);
  }

  function fail(order: Order, failure: OrderFailure): Promise<Order> {
    return settle(order, { status: 'FAILED', failure }, deps.clock());
  }

  async function enrich(order: Order, attempt: OrderAttempt): Promise<Order> {
    const limit = timeoutForAttempt(attempt.number, deps.lookupTimeouts);
    const outcome = await lookUpOrderDetails(order, attempt.known, deps, limit);
    if (outcome.found) return confirm(order, outcome.details);

    const decision = decideAfterLookupFailures(outcome.failures, attempt);
    if (decision.action === 'fail') return fail(order, decision.failure);

    await attempt.remember(outcome.known);
    logger.info(
      { orderId: order.id, attempt: attempt.number, reason: decision.reason },
      'lookup failed, will retry',
    );
    throw new RetryLaterError(decision.reason);
  }

  async function publishEvent(order: Order): Promise<void> {
    if (!hasUnpublishedEvent(order)) return;
    const { event } = order;
    await publisher.publish({
      routingKey: event.routing_key,
      messageId: event.message_id,
      type: event.message.type,
      body: event.message,
      timestamp: new Date(event.message.sent_at),
    });
    await orders.markEventPublished(order.id, event.message_id, deps.clock());
    logger.info(
      { orderId: order.id, messageId: event.message_id },
      'created_order event published',
    );
  }

  return async function processOrder(attempt: OrderAttempt): Promise<Order | null> {
    const order = await orders.findById(attempt.orderId);
    if (order === null) {
      logger.warn({ orderId: attempt.orderId }, 'job for an unknown order, nothing to do');
      return null;
    }
    const settled = order.status === 'PENDING' ? await enrich(order, attempt) : order;
    await publishEvent(settled);
    return settled;
  };
}

export type ProcessOrder = ReturnType<typeof createProcessOrderUseCase>;
