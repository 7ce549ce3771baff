import { nextLease } from '../../shared/domain/outbox-lease.js';
import type { Order, OutboxEvent } from '../../shared/domain/order.js';
import {
  handBackToRelay,
  publishStoredEvent,
  type EventPublishing,
} from './publish-stored-event.js';

export interface RelayDependencies extends EventPublishing {
  leaseMs: number;
  batchSize: number;
}

/**
 * The outbox relay: publishes the events that the confirming run could not (the broker was
 * down, the process died). Find events up for relay → claim each with a new lease → publish
 * → record. Any number of workers may run it; a claim is granted to one of them.
 */
export function createRelayOutbox(deps: RelayDependencies) {
  const { orders, clock } = deps;

  async function relay(order: Order & { event: OutboxEvent }): Promise<boolean> {
    const lease = nextLease(order.event, clock(), deps.leaseMs);
    const claimed = await orders.claimEvent(order.id, order.event.message_id, lease);
    if (!claimed) return false; // another relay has it
    const event = { ...order.event, lease };
    try {
      await publishStoredEvent(deps, order.id, event);
      return true;
    } catch (error) {
      await handBackToRelay(deps, order.id, event, error);
      throw error;
    }
  }

  return async function relayOutbox(): Promise<number> {
    const due = await orders.findEventsToRelay(clock(), deps.batchSize);
    const results = await Promise.allSettled(
      due.flatMap((order) =>
        order.event === null ? [] : [relay({ ...order, event: order.event })],
      ),
    );
    const published = results.filter((result) => result.status === 'fulfilled' && result.value);
    if (published.length > 0) deps.logger.info({ published: published.length }, 'outbox relayed');
    const failure = results.find((result) => result.status === 'rejected');
    // One failure is enough to report: they share a cause (the broker) and the run backs off.
    if (failure !== undefined) throw failure.reason;
    return published.length;
  };
}

export type RelayOutbox = ReturnType<typeof createRelayOutbox>;
