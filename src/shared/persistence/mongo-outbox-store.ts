import type { Db } from 'mongodb';
import type { EventLease } from '../domain/order.js';
import { guarded, insertEach } from './mongo-errors.js';
import { hasTimeToPublish, isAbandoned, leaseAfter, nextLease } from './mongo-outbox-leases.js';
import { groupedOrderUpdates, ordersCollection } from './order-documents.js';
import type { OutboxStore, WaitingEvent } from './outbox-store.js';

export const EVENT_CLAIMS_COLLECTION = 'outbox_claims';

/** One granted lease generation of one event, under `<message id>/<generation>`. */
interface EventClaimDocument {
  _id: string;
  message_id: string;
  generation: number;
  claimed_at: Date;
}

/** The indexes the outbox's queries rely on; creating an existing index is a no-op. */
export async function ensureOutboxIndexes(db: Db): Promise<void> {
  await guarded(async () => {
    await ordersCollection(db).createIndex(
      { outbox: 1, 'event.lease.expires_at': 1 },
      { name: 'outbox_due' },
      {},
    );
    const claims = db.collection<EventClaimDocument>(EVENT_CLAIMS_COLLECTION);
    await claims.createIndex({ message_id: 1, generation: -1 }, { name: 'message_generation' }, {});
    await claims.createIndex({ claimed_at: 1 }, { name: 'claimed_at' }, {});
  });
}

/**
 * The outbox on MongoDB: events live in their orders (`event`), and a top-level marker says
 * where each stands while it waits (OrderDocument.outbox): `leased` while a publisher holds
 * its lease, `pending` once it is due.
 *
 * Only top-level equalities reach FerretDB's storage (ADR 9), with a LIMIT when nothing else
 * filters or sorts: so the relay reads due events as `{outbox: 'pending'}` with a limit, a
 * batch's worth of rows whatever the backlog, and expired leases among the few `leased` ones.
 *
 * Who may publish is decided by leases (mongo-outbox-leases.ts), each generation granted
 * once. The settling run holds the first, written with its settlement. A relay's claim asks
 * for the next; it is not written on the order (a write per event, the costliest step on
 * FerretDB): while it publishes, the event stays `pending` and others' claims of the same
 * generation are refused. Conditional updates are not atomic on FerretDB, so a generation is
 * granted by an insert into `outbox_claims` under `<message id>/<generation>`, which every
 * MongoDB-protocol server refuses atomically once the _id is taken: exactly one caller gets
 * each. A claim left unpublished for a whole lease (its holder died, or its lease never
 * reached the order) is taken over at the generation after it, so none blocks an event for
 * longer than a lease.
 */
export function createMongoOutboxStore(db: Db, options: { leaseMs: number }): OutboxStore {
  const orders = ordersCollection(db);
  const claims = db.collection<EventClaimDocument>(EVENT_CLAIMS_COLLECTION);
  const updateOrder = groupedOrderUpdates(orders);

  const claimId = (messageId: string, generation: number) => `${messageId}/${String(generation)}`;
  const asClaim = (messageId: string, lease: EventLease, now: Date): EventClaimDocument => ({
    _id: claimId(messageId, lease.generation),
    message_id: messageId,
    generation: lease.generation,
    claimed_at: now,
  });
  const withLease = (waiting: WaitingEvent, lease: EventLease): WaitingEvent => ({
    orderId: waiting.orderId,
    event: { ...waiting.event, lease },
  });

  /** Inserts each proposed grant; the ones whose _id was free are the caller's. */
  async function grant(proposed: readonly WaitingEvent[], now: Date): Promise<WaitingEvent[]> {
    if (proposed.length === 0) return [];
    const outcomes = await insertEach(
      proposed.map(({ event }) => asClaim(event.message_id, event.lease, now)),
      (documents) => claims.insertMany(documents, { ordered: false }),
    );
    return proposed.filter((_, index) => outcomes[index] === true);
  }

  /**
   * The next generation after the newest claim of each refused event whose holder left it
   * unpublished for a whole lease: it died, or dropped the claim's publish without a word.
   */
  async function takeOvers(refused: readonly WaitingEvent[], now: Date): Promise<WaitingEvent[]> {
    if (refused.length === 0) return [];
    const newest = new Map<string, EventClaimDocument>();
    const held = await claims
      .find({ message_id: { $in: refused.map(({ event }) => event.message_id) } })
      .toArray();
    for (const claim of held) {
      const known = newest.get(claim.message_id);
      if (known === undefined || known.generation < claim.generation)
        newest.set(claim.message_id, claim);
    }
    return refused.flatMap((waiting) => {
      const claim = newest.get(waiting.event.message_id);
      if (claim === undefined || !isAbandoned(claim, now, options.leaseMs)) return [];
      return [withLease(waiting, leaseAfter(claim, now, options.leaseMs))];
    });
  }

  /** Drops every claim of these events. */
  async function forgetClaims(events: readonly { messageId: string }[]): Promise<void> {
    if (events.length === 0) return;
    await claims.deleteMany({ message_id: { $in: events.map(({ messageId }) => messageId) } });
  }

  /**
   * A published event keeps its last claim for two leases: a relay that read the event just
   * before it was published must find its generation taken, or it would publish it again.
   * Older claims have no one left to refuse, so they go, at most once a lease: the claims kept
   * are those of the events relayed within two leases, however long the service runs.
   */
  let claimsSweptAt = 0;
  async function sweepOldClaims(now: Date): Promise<void> {
    if (now.getTime() - claimsSweptAt < options.leaseMs) return;
    claimsSweptAt = now.getTime();
    await claims.deleteMany({ claimed_at: { $lt: new Date(now.getTime() - 2 * options.leaseMs) } });
  }

  return {
    findDue: (now, limit) =>
      guarded(async () => {
        // Only the event travels: the relay needs nothing else of its order.
        const projection = { event: 1 };
        const expired = await orders
          .find({ outbox: 'leased', 'event.lease.expires_at': { $lte: now } }, { projection })
          .limit(limit)
          .toArray();
        const pending =
          expired.length < limit
            ? await orders
                .find({ outbox: 'pending' }, { projection })
                .limit(limit - expired.length)
                .toArray()
            : [];
        return [...expired, ...pending].flatMap(({ _id, event }): WaitingEvent[] =>
          event === null ? [] : [{ orderId: _id, event }],
        );
      }),

    // Each event is proposed at the generation after its lease; a refused one is taken over
    // at the generation after its newest claim if that claim was abandoned.
    claim: (waiting, now) =>
      guarded(async () => {
        await sweepOldClaims(now);
        const proposed = waiting.map((due) =>
          withLease(due, nextLease(due.event, now, options.leaseMs)),
        );
        const granted = await grant(proposed, now);
        const refused = proposed.filter((due) => !granted.includes(due));
        const takenOver = await grant(await takeOvers(refused, now), now);
        return [...granted, ...takenOver];
      }),

    // The settlement wrote the first lease with the event: the settling run holds it without a
    // write, and starts its publish only while at least half of it is left.
    claimOwn: (own, now) =>
      Promise.resolve(hasTimeToPublish(own.event.lease, now, options.leaseMs) ? own : null),

    giveBack: (claimed) =>
      guarded(async () => {
        if (claimed.length === 0) return;
        await claims.deleteMany({
          _id: {
            $in: claimed.map(({ event }) => claimId(event.message_id, event.lease.generation)),
          },
        });
      }),

    // Only while the order still carries the run's own lease: a later holder's is not its own
    // to give back.
    giveBackOwn: ({ orderId, event }) =>
      guarded(async () => {
        await orders.updateOne(
          {
            _id: orderId,
            outbox: 'leased',
            'event.message_id': event.message_id,
            'event.published_at': null,
            'event.lease.generation': event.lease.generation,
          },
          { $set: { outbox: 'pending' } },
        );
      }),

    // The claim's lease is written on the order, `leased`: due again once it ends.
    setAside: ({ orderId, event }) =>
      guarded(async () => {
        await updateOrder({
          filter: {
            _id: orderId,
            'event.message_id': event.message_id,
            'event.published_at': null,
          },
          update: { $set: { outbox: 'leased', 'event.lease': event.lease } },
        });
        // The lease on the order now tells when it is due; no claim needs to outlive it.
        await forgetClaims([{ messageId: event.message_id }]);
      }),

    recordPublished: (published, now) =>
      guarded(async () => {
        await Promise.all(
          published.map(({ orderId, event }) =>
            updateOrder({
              filter: {
                _id: orderId,
                'event.message_id': event.message_id,
                'event.published_at': null,
              },
              update: { $set: { 'event.published_at': now }, $unset: { outbox: '' } },
            }),
          ),
        );
        // The claims stay until sweepOldClaims: they refuse relays that read the event before.
      }),

    countWaiting: () =>
      guarded(async () => {
        const [pending, leased] = await Promise.all([
          orders.countDocuments({ outbox: 'pending' }),
          orders.countDocuments({ outbox: 'leased' }),
        ]);
        return pending + leased;
      }),
  };
}
