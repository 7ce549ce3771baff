import type { OutboxEvent } from '../domain/order.js';

/** An event waiting in its order for the broker. */
export interface WaitingEvent {
  orderId: string;
  event: OutboxEvent;
}

/** An event the broker holds, as published under lease `generation`. */
export interface PublishedEvent {
  orderId: string;
  messageId: string;
  generation: number;
}

/**
 * The outbox: where each settled order's event (`created_order`, `failed_order`) waits until
 * the broker holds it, and who may publish it meanwhile. The event itself is written by the
 * settlement (one write with the state change), under the settling run's first lease;
 * everything after is here. Each lease generation is granted to one caller only
 * (docs/adr/0005).
 */
export interface OutboxStore {
  /**
   * Events up for relay at `now`, at most `limit`: those whose lease ran out first, then those
   * handed back or waiting for a relay. Its cost follows `limit` and the events in flight,
   * not the backlog, so a relay can read a large backlog a batch at a time.
   */
  findDue(now: Date, limit: number): Promise<WaitingEvent[]>;
  /**
   * Grants the caller the next lease generation of each event, in one write for all; an
   * event whose newest claim was left unpublished for a whole lease (its holder died) is
   * taken over. Returns the events granted, each carrying its new lease.
   */
  claim(waiting: readonly WaitingEvent[], now: Date): Promise<WaitingEvent[]>;
  /** Gives claims back (their publish failed): the events are due again at once. */
  releaseClaims(claimed: readonly WaitingEvent[]): Promise<void>;
  /** Hands the settling run's first lease back early (its publish failed): due at once. */
  release(orderId: string, messageId: string, generation: number, now: Date): Promise<void>;
  /** Keeps a claimed event out of the relay's way until its lease ends (no queue took it). */
  holdUntilLeaseEnds(claimed: WaitingEvent): Promise<void>;
  /** Records that the broker holds each event; idempotent. */
  recordPublished(published: readonly PublishedEvent[], now: Date): Promise<void>;
  /** How many events wait for the broker. */
  countWaiting(): Promise<number>;
}
