import type { EventLease } from '../../shared/domain/order.js';
import { inTraceOf } from '../../shared/observability/trace-context.js';
import type { WaitingEvent } from '../../shared/persistence/outbox-store.js';
import {
  handBackToRelay,
  publishStoredEvent,
  type EventPublishing,
} from './publish-stored-event.js';

export interface RelayDependencies extends EventPublishing {
  batchSize: number;
}

/**
 * The outbox relay: publishes the events that the settling run could not (the broker was
 * down, the process died) or did not try to (the recovery sweep's). Find the events due →
 * claim each (or take over an abandoned claim) → publish → record. Any number of workers may
 * run it; a lease is granted to one of them.
 */
export function createRelayOutbox(deps: RelayDependencies) {
  const { outbox, clock } = deps;

  async function claim(waiting: WaitingEvent): Promise<EventLease | null> {
    const now = clock();
    const lease = await outbox.claim(waiting, now);
    if (lease !== null) return lease;
    const takeover = await outbox.takeOver(waiting, now);
    if (takeover !== null) {
      deps.logger.warn(
        {
          orderId: waiting.orderId,
          messageId: waiting.event.message_id,
          abandoned: takeover.generation - 1,
        },
        'taking over an event whose claim was abandoned',
      );
    }
    return takeover;
  }

  async function relay(waiting: WaitingEvent): Promise<boolean> {
    const lease = await claim(waiting);
    if (lease === null) return false; // another relay has it
    const event = { ...waiting.event, lease };
    try {
      // The publish continues the trace of the run that settled the order.
      await inTraceOf(event.trace_context, `relay ${event.routing_key}`, () =>
        publishStoredEvent(deps, waiting.orderId, event),
      );
      return true;
    } catch (error) {
      await handBackToRelay(deps, waiting.orderId, event, error);
      throw error;
    }
  }

  return async function relayOutbox(): Promise<number> {
    const due = await outbox.findDue(clock(), deps.batchSize);
    const results = await Promise.allSettled(due.map(relay));
    const published = results.filter((result) => result.status === 'fulfilled' && result.value);
    if (published.length > 0) deps.logger.info({ published: published.length }, 'outbox relayed');
    const failure = results.find((result) => result.status === 'rejected');
    // One failure is enough to report: they share a cause (the broker) and the run backs off.
    if (failure !== undefined) throw failure.reason;
    return published.length;
  };
}

export type RelayOutbox = ReturnType<typeof createRelayOutbox>;
