import type { Order } from '../../shared/domain/order.js';
import type { OrderPage, OrderRepository } from '../../shared/persistence/order-repository.js';
import { encodeCursor } from './order-list-query.js';

export interface OrdersPage {
  orders: Order[];
  /** Where the next page starts; null on the last page. */
  nextCursor: string | null;
}

/**
 * One page of orders, newest first: read one more than the page holds (its presence says a
 * next page exists) → keep the page → point the cursor after its last order.
 */
export function createListOrdersUseCase(deps: { orders: OrderRepository }) {
  return async function listOrders(page: OrderPage): Promise<OrdersPage> {
    const found = await deps.orders.list({ ...page, limit: page.limit + 1 });
    const orders = found.slice(0, page.limit);
    const last = orders.at(-1);
    const hasMore = found.length > page.limit;
    return { orders, nextCursor: hasMore && last !== undefined ? encodeCursor(last) : null };
  };
}

export type ListOrders = ReturnType<typeof createListOrdersUseCase>;
