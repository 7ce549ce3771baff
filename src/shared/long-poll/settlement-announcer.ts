import { groupCommit } from '../batching/group-commit.js';
import type { Order } from '../domain/order.js';
import { OrderMissingError, type OrderRepository } from '../persistence/order-repository.js';
import type { RedisConnection } from '../queue/redis-connection.js';
import { announcementOf } from './settlement-channel.js';

/** The worker's half of the long-poll: tells waiting clients that their order has settled. */
export interface SettlementAnnouncer {
  announce(orderId: string): Promise<void>;
}

/**
 * The orders settled in one event-loop turn go out as one PUBLISH, their ids one per line
 * (announcementOf): under load a turn settles a bulk write's worth of orders, and a command
 * per order was one Redis round trip and one socket write more per order.
 */
export function createSettlementAnnouncer(
  redis: RedisConnection,
  channel: string,
): SettlementAnnouncer {
  const announceTogether = groupCommit(
    async (orderIds: readonly string[]) => {
      await redis.publish(channel, announcementOf(orderIds));
      return orderIds.map(() => undefined);
    },
    { maxBatch: 500 },
  );
  return { announce: announceTogether };
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
