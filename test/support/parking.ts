import { connect } from 'amqplib';
import { PARKED_FROM, parkingQueueOf } from '../../src/shared/messaging/event-publisher.js';
import { services } from './services.js';

/** An event as the parking queue holds it: its id, where it was going, its body. */
export interface ParkedEvent {
  messageId: string;
  exchange: unknown;
  routingKey: unknown;
  body: unknown;
}

/** Takes every event parked for `exchange` off its parking queue, oldest first. */
export async function takeParkedEvents(exchange: string): Promise<ParkedEvent[]> {
  const connection = await connect(services.rabbitmqUrl);
  try {
    const channel = await connection.createChannel();
    const taken: ParkedEvent[] = [];
    for (;;) {
      const message = await channel.get(parkingQueueOf(exchange), { noAck: true });
      if (message === false) return taken;
      const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
      taken.push({
        messageId: String(message.properties.messageId),
        exchange: headers[PARKED_FROM.exchange],
        routingKey: headers[PARKED_FROM.routingKey],
        body: JSON.parse(message.content.toString('utf8')) as unknown,
      });
    }
  } finally {
    await connection.close();
  }
}

/** Deletes the parking queue and the exchange a test declared for itself. */
export async function deleteParkingAndExchange(exchange: string): Promise<void> {
  const connection = await connect(services.rabbitmqUrl);
  try {
    const channel = await connection.createChannel();
    await channel.deleteQueue(parkingQueueOf(exchange));
    await channel.deleteExchange(exchange);
  } finally {
    await connection.close();
  }
}
