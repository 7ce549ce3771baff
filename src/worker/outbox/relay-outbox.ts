import { UnroutableEventError } from '../../shared/messaging/event-publisher.js';
import { inTraceOf } from '../../shared/observability/trace-context.js';
import type { PublishedEvent, WaitingEvent } from '../../shared/persistence/outbox-store.js';
import { logUnroutable, sendStoredEvent, type EventPublishing } from './publish-stored-event.js';

export interface RelayDependencies extends EventPublishing {
  /** Events read, claimed and published together. */
  batchSize: number;
}

/** Batches one run relays at most before it lets the next run (and the back-off) decide. */
const MAX_BATCHES_PER_RUN = 40;

/** What one batch came to. */
interface BatchOutcome {
  due: number;
  claimed: number;
  published: number;
  /** Why the broker refused the batch's publishes, if it did (it is down or full). */
  brokerFailure: Error | null;
}

/**
 * The outbox relay: publishes the events the settling run could not (the broker was down, the
 * process died) or did not try to (the recovery sweep's). A batch at a time: find the events
 * due → claim them all → send them all at once, the broker confirming them as a pipeline →
 * record the sent ones. Full batches follow each other at once, so a backlog drains as fast as
 * the store and the broker allow. Any number of workers may run it; each lease generation is
 * granted to one of them.
 *
 * Only a broker that refuses publishes counts as a failure (the caller backs off). An event no
 * queue took, not even the parking queue, is held out of the relay's way until its lease ends:
 * it can neither hold back the events behind it nor slow the relay down.
 */
export function createRelayOutbox(deps: RelayDependencies) {
  const { outbox, clock, logger } = deps;

  const send = ({ orderId, event }: WaitingEvent) =>
    // The publish continues the trace of the run that settled the order.
    inTraceOf(event.trace_context, `relay ${event.routing_key}`, () =>
      sendStoredEvent(deps, orderId, event),
    );

  const published = ({ orderId, event }: WaitingEvent): PublishedEvent => ({
    orderId,
    messageId: event.message_id,
    generation: event.lease.generation,
  });

  async function relayBatch(): Promise<BatchOutcome> {
    const due = await outbox.findDue(clock(), deps.batchSize);
    const claimed = await outbox.claim(due, clock());
    const results = await Promise.allSettled(claimed.map(send));

    const sent = claimed.filter((_, index) => results[index]?.status === 'fulfilled');
    await outbox.recordPublished(sent.map(published), clock());

    const unroutable: WaitingEvent[] = [];
    const refused: WaitingEvent[] = [];
    let brokerFailure: Error | null = null;
    results.forEach((result, index) => {
      const waiting = claimed[index];
      if (result.status === 'fulfilled' || waiting === undefined) return;
      if (result.reason instanceof UnroutableEventError) {
        logUnroutable(deps, waiting.orderId, waiting.event, result.reason);
        unroutable.push(waiting);
      } else {
        brokerFailure ??=
          result.reason instanceof Error ? result.reason : new Error(String(result.reason));
        refused.push(waiting);
      }
    });
    await Promise.all(unroutable.map((waiting) => outbox.holdUntilLeaseEnds(waiting)));
    // Due again at once: the next run tries them when the broker is back.
    await outbox.releaseClaims(refused);
    return { due: due.length, claimed: claimed.length, published: sent.length, brokerFailure };
  }

  return async function relayOutbox(): Promise<number> {
    let total = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
      const outcome = await relayBatch();
      total += outcome.published;
      if (outcome.brokerFailure !== null) {
        logger.warn(
          { err: outcome.brokerFailure, published: total },
          'the broker refused events; they stay in the outbox for the relay',
        );
        throw outcome.brokerFailure;
      }
      // A batch that came back short, or that other relays had claimed, ends the run.
      if (outcome.due < deps.batchSize || outcome.claimed === 0) break;
    }
    if (total > 0) logger.info({ published: total }, 'outbox relayed');
    return total;
  };
}

export type RelayOutbox = ReturnType<typeof createRelayOutbox>;
