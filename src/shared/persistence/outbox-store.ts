import type { OutboxEvent } from '../domain/order.js';

/** An event waiting in its order for the broker. */
export interface WaitingEvent {
  orderId: string;
  event: OutboxEvent;
}

/**
 * The outbox: where each settled order's event (`created_order`, `failed_order`) waits until
 * the broker holds it, and who may publish it meanwhile. The event itself is written by the
 * settlement (one write with the state change), under the settling run's first lease;
 * everything after is here. A claimed event is the caller's alone to publish: whatever the
 * server, no two callers hold the same event at once (docs/adr/0005).
 */
export interface OutboxStore {
  /**
   * Events up for relay at `now`, at most `limit`: those whose lease ran out first, then those
   * given back or waiting for a relay. Its cost follows `limit` and the events in flight, not
   * the backlog, so a relay can read a large backlog a batch at a time.
   */
  findDue(now: Date, limit: number): Promise<WaitingEvent[]>;
  /**
   * Claims the events for the caller, a batch at a time, and returns those it was granted,
   * each as the caller now holds it; the others are someone else's to publish.
   */
  claim(waiting: readonly WaitingEvent[], now: Date): Promise<WaitingEvent[]>;
  /**
   * The settling run's claim on the event its settlement stored, under the first lease the
   * settlement gave it: granted while enough of that lease is left for a publish. Null: the
   * relay publishes the event once the lease ends.
   */
  claimOwn(own: WaitingEvent, now: Date): Promise<WaitingEvent | null>;
  /** Records that the broker holds each claimed event; idempotent. */
  recordPublished(published: readonly WaitingEvent[], now: Date): Promise<void>;
  /** Gives claims back (their publish failed): the events are due again at once. */
  giveBack(claimed: readonly WaitingEvent[]): Promise<void>;
  /** Hands the settling run's first lease back early (its publish failed): due at once. */
  giveBackOwn(own: WaitingEvent): Promise<void>;
  /**
   * Keeps a claimed event no queue took out of the relays' way for as long as its claim
   * lasts: publishing it again at once would only be refused again.
   */
  setAside(claimed: WaitingEvent): Promise<void>;
  /** How many events wait for the broker. */
  countWaiting(): Promise<number>;
}
