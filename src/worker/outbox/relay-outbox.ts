import { isAbandoned, leaseAfter, nextLease } from '../../shared/domain/outbox-lease.js';
import type { EventLease } from '../../shared/domain/order.js';
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

  /**
   * The next lease generation, or, when another relay was granted it but left the event
   * unpublished for a whole lease, the generation after the newest claim.
   */
  async function claim(order: Order & { event: OutboxEvent }): Promise<EventLease | null> {
    const now = clock();
    const { message_id: messageId } = order.event;
    const lease = nextLease(order.event, now, deps.leaseMs);
    if (await orders.claimEvent(order.id, messageId, lease, now)) return lease;
    const latest = await orders.latestEventClaim(messageId);
    if (latest === null || !isAbandoned(latest, now, deps.leaseMs)) return null; // held
    const takeover = leaseAfter(latest, now, deps.leaseMs);
    deps.logger.warn(
      { orderId: order.id, messageId, abandoned: latest.generation },
      'taking over an event whose claim was abandoned',
    );
    return (await orders.claimEvent(order.id, messageId, takeover, now)) ? takeover : null;
  }

  async function relay(order: Order & { event: OutboxEvent }): Promise<boolean> {
    const lease = await claim(order);
    if (lease === null) return false; // another relay has it
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
