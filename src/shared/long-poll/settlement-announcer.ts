import type { Order } from '../domain/order.js';
import { OrderMissingError, type OrderRepository } from '../persistence/order-repository.js';
import type { RedisConnection } from '../queue/redis-connection.js';

/** The worker's half of the long-poll: tells waiting clients that their order has settled. */
export interface SettlementAnnouncer {
  announce(orderId: string): Promise<void>;
}

export function createSettlementAnnouncer(
  redis: RedisConnection,
  channel: string,
): SettlementAnnouncer {
  return {
    async announce(orderId) {
      await redis.publish(channel, orderId);
    },
  };
}

/** What a settlement of this process came to, for those who count or announce it. */
export interface SettlementListener {
  /** The winning settlement moved `order` to its final state (a rerun does not count again). */
  settled(order: Order): void;
  /** The store did not hold the order, so nothing was settled or published. */
  missing(orderId: string): void;
}

/**
 * Tells `listener` of each settlement this process wins, and of each that found no order: the
 * use case settles orders and the listener announces them, without either knowing the other.
 */
export function withSettlementListener(
  orders: OrderRepository,
  listener: SettlementListener,
): OrderRepository {
  return {
    ...orders,
    async settle(id, settlement, at) {
      try {
        const result = await orders.settle(id, settlement, at);
        if (result.won) listener.settled(result.order);
        return result;
      } catch (error) {
        if (error instanceof OrderMissingError) listener.missing(id);
        throw error;
      }
    },
  };
}
