import { UnroutableEventError } from '../../shared/messaging/event-publisher.js';
import { inTraceOf } from '../../shared/observability/trace-context.js';
import type { WaitingEvent } from '../../shared/persistence/outbox-store.js';
import { logUnroutable, sendStoredEvent, type EventPublishing } from './publish-stored-event.js';

export interface RelayDependencies extends EventPublishing {
  /** Events read, claimed and published together. */
  batchSize: number;
}

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
 * the store and the broker allow. Any number of workers may run it; the store grants each
 * claim to one of them.
 *
 * Only a broker that refuses publishes counts as a failure (the caller backs off). An event no
 * queue took, not even the parking queue, is set aside: it can neither hold back the events
 * behind it nor slow the relay down.
 */
export function createRelayOutbox(deps: RelayDependencies) {
  const { logger } = deps;

  return async function relayOutbox(): Promise<number> {
    let total = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
      const outcome = await relayBatch(deps);
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

/** Batches one run relays at most before it lets the next run (and the back-off) decide. */
const MAX_BATCHES_PER_RUN = 40;

/**
 * Find the events due → claim them → send them → record the sent ones; then set aside those no
 * queue took and give back those the broker refused.
 */
async function relayBatch(deps: RelayDependencies): Promise<BatchOutcome> {
  const { outbox, clock } = deps;
  const due = await outbox.findDue(clock(), deps.batchSize);
  const claimed = await outbox.claim(due, clock());
  const results = await Promise.allSettled(claimed.map((waiting) => send(deps, waiting)));

  const sent = claimed.filter((_, index) => results[index]?.status === 'fulfilled');
  await outbox.recordPublished(sent, clock());

  const { unroutable, refused, brokerFailure } = notSent(deps, claimed, results);
  await Promise.all(unroutable.map((waiting) => outbox.setAside(waiting)));
  // Due again at once: the next run tries them when the broker is back.
  await outbox.giveBack(refused);
  return { due: due.length, claimed: claimed.length, published: sent.length, brokerFailure };
}

function send(deps: RelayDependencies, waiting: WaitingEvent) {
  // The publish continues the trace of the run that settled the order.
  return inTraceOf(waiting.event.trace_context, `relay ${waiting.event.routing_key}`, () =>
    sendStoredEvent(deps, waiting),
  );
}

/**
 * The claimed events that did not go out, by why: no queue took them (each logged for an
 * operator), or the broker refused them (the first refusal tells why).
 */
function notSent(
  deps: RelayDependencies,
  claimed: readonly WaitingEvent[],
  results: readonly PromiseSettledResult<unknown>[],
): { unroutable: WaitingEvent[]; refused: WaitingEvent[]; brokerFailure: Error | null } {
  const unroutable: WaitingEvent[] = [];
  const refused: WaitingEvent[] = [];
  let brokerFailure: Error | null = null;
  results.forEach((result, index) => {
    const waiting = claimed[index];
    if (result.status === 'fulfilled' || waiting === undefined) return;
    if (result.reason instanceof UnroutableEventError) {
      logUnroutable(deps, waiting, result.reason);
      unroutable.push(waiting);
    } else {
      brokerFailure ??=
        result.reason instanceof Error ? result.reason : new Error(String(result.reason));
      refused.push(waiting);
    }
  });
  return { unroutable, refused, brokerFailure };
}

export type RelayOutbox = ReturnType<typeof createRelayOutbox>;
