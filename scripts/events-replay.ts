/**
 * `npm run events:replay`: sends the events parked in the exchange's parking queue
 * (`<exchange>.unrouted`, the ones no queue was bound for when they were published) on to the
 * exchange, under their original routing keys, once a consumer has bound its queue. Each goes
 * out `mandatory` over a confirm channel and leaves the parking queue only once the broker
 * confirmed it; one that still has no queue is parked again, at the back. Every message parked
 * when it starts is looked at once, many at a time. A replay stopped half-way may send a
 * message twice (under its message id, which consumers deduplicate on). Reads RABBITMQ_URL
 * and ORDERS_EXCHANGE like the service.
 */
import { connect, type ConfirmChannel, type ConsumeMessage, type Message } from 'amqplib';
import { ConfigError, loadCommonConfig } from '../src/shared/config/config.js';
import { takeReturn } from '../src/shared/messaging/amqp-event-publisher.js';
import { PARKED_FROM, parkingQueueOf } from '../src/shared/messaging/event-publisher.js';

/** Publishes and waits for the broker's confirm; false when it came back unroutable. */
function sendConfirmed(
  channel: ConfirmChannel,
  returned: Map<string, number>,
  target: { exchange: string; routingKey: string },
  message: ConsumeMessage,
): Promise<boolean> {
  const messageId = String(message.properties.messageId);
  return new Promise((resolve, reject) => {
    channel.publish(
      target.exchange,
      target.routingKey,
      message.content,
      { ...message.properties, mandatory: true, persistent: true },
      (error: unknown) => {
        if (error !== null && error !== undefined) reject(new Error('the broker refused'));
        else resolve(!takeReturn(returned, messageId));
      },
    );
  });
}

/** Messages in flight at once: the broker confirms them as a pipeline. */
const PREFETCH = 256;

async function replay(url: string, exchange: string): Promise<void> {
  const parking = parkingQueueOf(exchange);
  const connection = await connect(url);
  try {
    const channel = await connection.createConfirmChannel();
    const returned = new Map<string, number>();
    channel.on('return', (message: Message) => {
      const id = String(message.properties.messageId);
      returned.set(id, (returned.get(id) ?? 0) + 1);
    });
    const { messageCount } = await channel.checkQueue(parking);
    const counts: Record<string, { sent: number; parkedAgain: number }> = {};
    const started = performance.now();

    /** Sends one parked message on, or parks it again at the back; then lets it go. */
    async function move(message: ConsumeMessage): Promise<void> {
      const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
      const original = headers[PARKED_FROM.routingKey];
      const routingKey = typeof original === 'string' ? original : '';
      const count = (counts[routingKey] ??= { sent: 0, parkedAgain: 0 });
      const sent =
        routingKey !== '' &&
        (await sendConfirmed(channel, returned, { exchange, routingKey }, message));
      if (sent) count.sent++;
      else {
        const parkedAgain = await sendConfirmed(
          channel,
          returned,
          { exchange: '', routingKey: parking },
          message,
        );
        // Not even the parking queue took the copy: keep the original where it is.
        if (!parkedAgain) {
          channel.nack(message, false, true);
          return;
        }
        count.parkedAgain++;
      }
      channel.ack(message);
    }

    // Each message parked when the replay began is taken once; one parked again meanwhile
    // (now at the back) waits for the next replay.
    await channel.prefetch(PREFETCH);
    let taken = 0;
    const moves: Promise<void>[] = [];
    await new Promise<void>((resolve, reject) => {
      if (messageCount === 0) {
        resolve();
        return;
      }
      const consuming = channel.consume(parking, (message) => {
        // Deliveries past the count are left unacknowledged: the broker takes them back when
        // the channel closes.
        if (message === null || taken >= messageCount) return;
        taken++;
        moves.push(move(message).catch(reject));
        if (taken === messageCount)
          consuming
            .then(({ consumerTag }) => channel.cancel(consumerTag))
            .then(() => {
              resolve();
            }, reject);
      });
      consuming.catch(reject);
    });
    await Promise.all(moves);
    // Closing the channel waits for the broker to take every ack sent before it.
    await channel.close();
    const seconds = (performance.now() - started) / 1000;
    for (const [routingKey, { sent, parkedAgain }] of Object.entries(counts))
      console.log(
        `${routingKey}: ${sent} sent to ${exchange}, ${parkedAgain} still without a queue`,
      );
    console.log(
      `${messageCount} parked events looked at in ${parking} in ${seconds.toFixed(1)} s ` +
        `(${Math.round(messageCount / Math.max(seconds, 0.001))} events/s)`,
    );
  } finally {
    await connection.close();
  }
}

const { rabbitmq } = (() => {
  try {
    return loadCommonConfig(process.env);
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
})();
replay(rabbitmq.url, rabbitmq.exchange).catch((error: unknown) => {
  console.error(`replay failed: ${(error as Error).message}`);
  process.exit(1);
});
