import { isFinal } from '../../shared/domain/order-lifecycle.js';
import type { Order } from '../../shared/domain/order.js';
import type { SettlementWaiter } from '../../shared/notifications/settlement-notices.js';
import type { OrderRepository } from '../../shared/persistence/order-repository.js';

export interface GetOrderDependencies {
  orders: OrderRepository;
  settlements: SettlementWaiter;
}

/**
 * Reads an order; asked to wait, holds a PENDING order's answer until it is final or the
 * wait is over: listen for its settlement → read it → (still PENDING) wait → read it again.
 * Listening starts before the first read, so a settlement in between is not missed.
 */
export function createGetOrderUseCase(deps: GetOrderDependencies) {
  const { orders, settlements } = deps;

  return async function getOrder(
    id: string,
    options: { waitMs?: number; signal?: AbortSignal } = {},
  ): Promise<Order | null> {
    const waitMs = options.waitMs ?? 0;
    if (waitMs <= 0) return orders.findById(id);

    const stopListening = new AbortController();
    const onClientGone = () => {
      stopListening.abort();
    };
    options.signal?.addEventListener('abort', onClientGone, { once: true });
    try {
      const settled = settlements.waitFor(id, waitMs, stopListening.signal);
      const order = await orders.findById(id);
      if (order === null || isFinal(order.status)) return order;
      await settled;
      // Read again even when the wait ran out: a notice lost while Redis was away must not
      // leave the client with a stale PENDING.
      return options.signal?.aborted === true ? order : await orders.findById(id);
    } finally {
      stopListening.abort();
      options.signal?.removeEventListener('abort', onClientGone);
    }
  };
}

export type GetOrder = ReturnType<typeof createGetOrderUseCase>;
