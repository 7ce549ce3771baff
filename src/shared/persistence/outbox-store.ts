import type { EventLease, OutboxEvent } from '../domain/order.js';

/** An event waiting in its order for the broker. */
export interface WaitingEvent {
  orderId: string;
  event: OutboxEvent;
}

/**
 * The outbox: where each settled order's event (`created_order`, `failed_order`) waits until
 * the broker has confirmed it, and who may publish it meanwhile. The event itself is written
 * by the settlement (one write with the state change); everything after is here. A publisher
 * holds a lease; each lease generation is granted to one caller only (docs/adr/0005).
 */
export interface OutboxStore {
  /** Events whose lease ran out or was handed back at `now`, longest due first. */
  findDue(now: Date, limit: number): Promise<WaitingEvent[]>;
  /** The next lease generation for the caller alone; null when another caller got it. */
  claim(waiting: WaitingEvent, now: Date): Promise<EventLease | null>;
  /**
   * The generation after the newest claim, when that claim's holder left the event
   * unpublished for a whole lease (it died, or its lease never reached the order); else null.
   */
  takeOver(waiting: WaitingEvent, now: Date): Promise<EventLease | null>;
  /** Hands a lease back early (the publish failed), so the event is due again at once. */
  release(orderId: string, messageId: string, generation: number, now: Date): Promise<void>;
  /** Records that the broker confirmed the event, sent under lease `generation`; idempotent. */
  recordPublished(orderId: string, messageId: string, generation: number, now: Date): Promise<void>;
  /** How many events wait for the broker. */
  countWaiting(): Promise<number>;
}
