import type { Settlement } from '../domain/order-lifecycle.js';
import type { Order } from '../domain/order.js';

/** Where orders live. Every change is one atomic single-document write. */
export interface OrderRepository {
  insert(order: Order): Promise<void>;
  findById(id: string): Promise<Order | null>;
  /**
   * Moves a PENDING order to its final state, once: of several settlements of one order,
   * the first recorded wins (`won`), and every call returns the order as that one left it.
   * Null when there is no such order.
   */
  settle(
    id: string,
    settlement: Settlement,
    now: Date,
  ): Promise<{ order: Order; won: boolean } | null>;
  /** Records that the broker confirmed the order's event; a no-op if already recorded. */
  markEventPublished(id: string, messageId: string, now: Date): Promise<void>;
  /** Ids of orders still PENDING that were accepted before `acceptedBefore`, oldest first. */
  findPendingAcceptedBefore(acceptedBefore: Date, limit: number): Promise<string[]>;
}

/** The store could not be reached: callers answer 503 or retry later, the data is intact. */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the order store is unavailable', { cause });
    this.name = 'StoreUnavailableError';
  }
}
