import { connect } from 'amqplib';
import { PARKED_FROM, parkingQueueOf } from '../../src/shared/messaging/event-publisher.js';
import { EventContractError, contractViolations } from './event-contract.js';
import { services } from './services.js';

/** An event as the parking queue holds it: its id, where it was going, its body. */
export interface ParkedEvent {
  messageId: string;
  exchange: unknown;
  routingKey: unknown;
  body: unknown;
}

/**
 * Takes every event parked for `exchange` off its parking queue, oldest first. Each is checked
 * against its message in docs/asyncapi.yaml (that of the routing key it was published under):
 * when one does not match, it throws an EventContractError naming what differs.
 * `checkContract: false` is for tests of the transport alone, which park bodies of their own.
 */
export async function takeParkedEvents(
  exchange: string,
  { checkContract = true }: { checkContract?: boolean } = {},
): Promise<ParkedEvent[]> {
  const connection = await connect(services.rabbitmqUrl);
  try {
    const channel = await connection.createChannel();
    const taken: ParkedEvent[] = [];
    const violations: string[] = [];
    for (;;) {
      const message = await channel.get(parkingQueueOf(exchange), { noAck: true });
      if (message === false) {
        if (violations.length > 0) throw new EventContractError(violations);
        return taken;
      }
      const wrong = checkContract ? contractViolations(message) : [];
      violations.push(...wrong);
      if (wrong.length > 0) continue;
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
