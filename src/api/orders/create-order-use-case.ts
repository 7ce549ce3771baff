import { newPendingOrder } from '../../shared/domain/order-lifecycle.js';
import type { Order } from '../../shared/domain/order.js';
import type { Logger } from '../../shared/observability/logger.js';
import type { IdempotencyStore } from '../../shared/persistence/idempotency-store.js';
import {
  StoreUnavailableError,
  type OrderRepository,
} from '../../shared/persistence/order-repository.js';
import type { OrderQueue } from '../../shared/queue/order-queue.js';
import { handOverToWorker } from './hand-over-to-worker.js';
import { requestFingerprint } from './idempotency-key.js';
import type { OrderRequest } from './order-request.js';

export interface CreateOrderDependencies {
  orders: OrderRepository;
  queue: OrderQueue;
  idempotencyKeys: IdempotencyStore;
  /** How long an Idempotency-Key is kept at least (IDEMPOTENCY_KEY_TTL). */
  idempotencyKeyTtlMs: number;
  newId: () => string;
  clock: () => Date;
  logger: Logger;
}

export interface Accepted {
  order: Order;
  /** The key was seen before: this is the order its first request made. */
  replayed: boolean;
}

/** What the request carried besides the order itself. */
export interface RequestContext {
  /** The request's id (X-Request-Id), kept on the order and passed along to the worker. */
  requestId: string | null;
  idempotencyKey?: string | undefined;
}

/**
 * The store did not answer the order's insert in time. The write may still land (a frozen
 * server applies it when it wakes; the recovery sweep then queues it), so the client is told
 * the order's id: `GET /orders/{id}` says whether it was stored.
 */
export class AcceptOutcomeUnknownError extends StoreUnavailableError {
  constructor(
    readonly orderId: string,
    cause: unknown,
  ) {
    super(cause);
    this.name = 'AcceptOutcomeUnknownError';
  }
}

/** The Idempotency-Key was first used with a different request. */
export class IdempotencyKeyReusedError extends Error {
  constructor(readonly key: string) {
    super('this Idempotency-Key was used with a different request');
    this.name = 'IdempotencyKeyReusedError';
  }
}

/**
 * Accepts an order: (with an Idempotency-Key: reserve the key, or find what it made) → store
 * it as PENDING → hand it to the worker. The slow part (the user and product services)
 * happens later, in the worker.
 */
export function createCreateOrderUseCase(deps: CreateOrderDependencies) {
  const { orders, queue, logger } = deps;
  // The order is stored, so the client gets its 202 even if the queue refuses the job.
  const handOver = (order: Order) => handOverToWorker(queue, order, logger);

  /** Stores the order under `id`; if a request with the same key stored it first, that one. */
  async function store(
    id: string,
    request: OrderRequest,
    context: RequestContext,
    now: Date,
  ): Promise<Accepted> {
    const order = newPendingOrder({ id, ...request, request_id: context.requestId }, now);
    const inserted = await orders.insert(order).catch((error: unknown) => {
      throw error instanceof StoreUnavailableError
        ? new AcceptOutcomeUnknownError(order.id, error)
        : error;
    });
    if (!inserted) {
      const stored = await orders.findById(id);
      if (stored !== null) return { order: stored, replayed: true };
    }
    logger.info(
      { orderId: order.id, requestId: order.request_id, from: null, to: order.status },
      'order state changed',
    );
    await handOver(order);
    return { order, replayed: false };
  }

  /**
   * The key's record names the order id before the order exists, so a first request that
   * stopped half-way (the store went down) is finished by its retry, under the same id.
   */
  async function acceptOnce(
    key: string,
    request: OrderRequest,
    context: RequestContext,
    now: Date,
  ): Promise<Accepted> {
    const fingerprint = requestFingerprint(request);
    const { record, fresh } = await deps.idempotencyKeys.remember({
      key,
      fingerprint,
      order_id: deps.newId(),
      created_at: now,
      expires_at: new Date(now.getTime() + deps.idempotencyKeyTtlMs),
    });
    if (record.fingerprint !== fingerprint) throw new IdempotencyKeyReusedError(key);
    const earlier = fresh ? null : await orders.findById(record.order_id);
    if (earlier === null) return store(record.order_id, request, context, now);
    // Its job may have been refused at the time; adding it again is a no-op if it exists.
    if (earlier.status === 'PENDING') await handOver(earlier);
    return { order: earlier, replayed: true };
  }

  return async function createOrder(
    request: OrderRequest,
    context: RequestContext,
  ): Promise<Accepted> {
    const now = deps.clock();
    return context.idempotencyKey === undefined
      ? store(deps.newId(), request, context, now)
      : acceptOnce(context.idempotencyKey, request, context, now);
  };
}

export type CreateOrder = ReturnType<typeof createCreateOrderUseCase>;
