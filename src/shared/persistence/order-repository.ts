import type { Settlement } from '../domain/order-lifecycle.js';
import type { Order, OrderStatus } from '../domain/order.js';

/** Where an order stands in (created_at, id) order: where a page ends and the next begins. */
export interface OrderPosition {
  created_at: Date;
  id: string;
}

/** A PENDING order as the recovery sweep reads it. */
export type StalePendingOrder = Pick<
  Order,
  | 'id'
  | 'user_id'
  | 'product_code'
  | 'created_at'
  | 'request_id'
  | 'history'
  | 'generation'
  | 'redriven_at'
>;

/** One page of orders, newest first: those after `after` in (created_at, id) order. */
export interface OrderPage {
  userId?: string;
  status?: OrderStatus;
  after: OrderPosition | null;
  limit: number;
}

/** FAILED orders an operator may re-drive in bulk, oldest first by (created_at, id). */
export interface FailedOrderQuery {
  failureCode?: string;
  /** When they FAILED (their `updated_at`): at or after `failedAfter`, before `failedBefore`. */
  failedAfter?: Date;
  failedBefore?: Date;
  after: OrderPosition | null;
  limit: number;
}

/** Where orders live. Every change to an order is one atomic single-document write. */
export interface OrderRepository {
  /** Stores a new order; false (and nothing changed) when an order with its id exists. */
  insert(order: Order): Promise<boolean>;
  findById(id: string): Promise<Order | null>;
  /** Newest first, by acceptance time then id; at most `page.limit` orders. */
  list(page: OrderPage): Promise<Order[]>;
  /**
   * Moves a PENDING order to its final state, once: of several settlements of one order,
   * the first recorded wins (`won`), and every call returns the order as that one left it.
   * The winner's event, if it has one, is stored in the same write, marked as waiting: a
   * settlement counts only once that write matched the stored order. `at.pending`, the order
   * as the caller has it while PENDING, spares the winner reading the settled order back when
   * the store says its write matched. Throws OrderMissingError when the store does not hold
   * the order (it lost the write that accepted it): nothing is settled, nothing published.
   */
  settle(
    id: string,
    settlement: Settlement,
    at: { now: Date; pending?: Order },
  ): Promise<{ order: Order; won: boolean }>;
  /**
   * Removes the settlement records kept past their retention; returns how many. A record
   * decides between concurrent runs of one order, so it is kept well beyond any run's life.
   */
  deleteExpiredSettlements(now: Date): Promise<number>;
  /** One page of FAILED orders matching `query`. */
  findFailed(query: FailedOrderQuery): Promise<Order[]>;
  /**
   * Stores a re-driven order (redrivenOrder) if its order is still FAILED in the generation
   * before, with its event published: true when it was stored. Two re-drives of one order
   * cannot both take it into a generation beyond the next.
   */
  saveRedriven(order: Order): Promise<boolean>;
  /**
   * Orders still PENDING that were accepted before `acceptedBefore`, oldest first (by
   * acceptance time, then id), after `after` when given: one page of at most `limit`. Each
   * with what its `failed_order` event names and its history, should it be past its
   * deadline, and its generation, to find its job.
   */
  findPendingAcceptedBefore(
    acceptedBefore: Date,
    limit: number,
    after?: OrderPosition | null,
  ): Promise<StalePendingOrder[]>;
}

/** The store could not be reached: callers answer 503 or retry later, the data is intact. */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the order store is unavailable', { cause });
    this.name = 'StoreUnavailableError';
  }
}

/**
 * The store does not hold an order that was accepted and queued: a store that lost an
 * unjournaled write, or a hand that deleted it. Nothing can settle it, so nothing may announce
 * it; an operator has to look.
 */
export class OrderMissingError extends Error {
  constructor(readonly orderId: string) {
    super(`order ${orderId} is not in the store; its settlement was not applied`);
    this.name = 'OrderMissingError';
  }
}
