import { newPendingOrder } from '../../shared/domain/order-lifecycle.js';
import type { Order } from '../../shared/domain/order.js';
import type { Logger } from '../../shared/observability/logger.js';
import {
  StoreUnavailableError,
  type OrderRepository,
} from '../../shared/persistence/order-repository.js';
import type { OrderQueue } from '../../shared/queue/order-queue.js';
import { orderRequestFingerprint } from '../idempotency/request-identity.js';
import type { RunOnce } from '../idempotency/run-once.js';
import { handOverToWorker } from './hand-over-to-worker.js';
import type { OrderRequest } from './order-request.js';

export interface AcceptOrderDependencies {
  orders: OrderRepository;
  queue: OrderQueue;
  /** Runs a request sent with an Idempotency-Key once under its key. */
  runOnce: RunOnce;
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
  /** The Idempotency-Key, scoped to its client (scopedKey). */
  idempotencyKey?: string | undefined;
}

/**
 * Accepts an order: (with an Idempotency-Key: run once under the key, or answer with the
 * order its first request made) → store it as PENDING → hand it to the worker. The slow part
 * (the user and product services) happens later, in the worker.
 */
export function createAcceptOrderUseCase(deps: AcceptOrderDependencies) {
  const { runOnce } = deps;
  return async function acceptOrder(
    request: OrderRequest,
    context: RequestContext,
  ): Promise<Accepted> {
    const now = deps.clock();
    if (context.idempotencyKey === undefined)
      return storeAndHandOver(deps, { id: deps.newId(), request, context, now });
    return runOnce({
      key: context.idempotencyKey,
      fingerprint: orderRequestFingerprint(request),
      now,
      // The key names the order's id before the order exists, so a first request that stopped
      // half-way (the store went down) is finished by its retry, under the same id.
      plan: { order_id: deps.newId() },
      replay: ({ record }) => earlierOrder(deps, record.order_id),
      run: ({ record }) => storeAndHandOver(deps, { id: record.order_id, request, context, now }),
    });
  };
}

export type AcceptOrder = ReturnType<typeof createAcceptOrderUseCase>;

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

/** An order about to be stored: its id, what the client sent, and when. */
interface NewOrder {
  id: string;
  request: OrderRequest;
  context: RequestContext;
  now: Date;
}

/**
 * Stores the order as PENDING under its id and hands it to the worker; if a request with the
 * same key stored it first, answers with that one.
 */
async function storeAndHandOver(
  deps: AcceptOrderDependencies,
  { id, request, context, now }: NewOrder,
): Promise<Accepted> {
  const order = newPendingOrder({ id, ...request, request_id: context.requestId }, now);
  const inserted = await deps.orders.insert(order).catch((error: unknown) => {
    throw error instanceof StoreUnavailableError
      ? new AcceptOutcomeUnknownError(order.id, error)
      : error;
  });
  if (!inserted) {
    const stored = await deps.orders.findById(id);
    if (stored !== null) return { order: stored, replayed: true };
  }
  deps.logger.info(
    { orderId: order.id, requestId: order.request_id, from: null, to: order.status },
    'order state changed',
  );
  // The order is stored, so the client gets its 202 even if the queue refuses the job.
  await handOverToWorker(deps.queue, order, deps.logger);
  return { order, replayed: false };
}

/** The order the key's first request made; null when that request stopped before storing it. */
async function earlierOrder(deps: AcceptOrderDependencies, id: string): Promise<Accepted | null> {
  const earlier = await deps.orders.findById(id);
  if (earlier === null) return null;
  // Its job may have been refused at the time; adding it again is a no-op if it exists.
  if (earlier.status === 'PENDING') await handOverToWorker(deps.queue, earlier, deps.logger);
  return { order: earlier, replayed: true };
}
