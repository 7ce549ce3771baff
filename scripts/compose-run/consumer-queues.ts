/**
 * What a consumer of the compose stack receives: the run's events, taken from the durable
 * queues the broker's definitions declare (each bound to one event type). Each settled order
 * must have exactly one event, in the queue of its final state. Only the run's own messages
 * are taken; others are put back.
 */
import amqp from 'amqplib';

const QUEUE_OF = { CONFIRMED: 'orders.created_order', FAILED: 'orders.failed_order' } as const;

export interface SettledOrder {
  id: string;
  status: keyof typeof QUEUE_OF;
}

/** One line per order; the mismatches, if any, as failures. */
export async function takeRunEvents(
  amqpUrl: string,
  orders: readonly SettledOrder[],
): Promise<{ lines: string[]; failures: string[] }> {
  const found = new Map<string, string[]>(orders.map((order) => [order.id, []]));
  const connection = await amqp.connect(amqpUrl);
  try {
    const channel = await connection.createChannel();
    for (const queue of Object.values(QUEUE_OF)) {
      const { messageCount } = await channel.checkQueue(queue);
      // Others' messages are held unacknowledged until the queue is read, then put back: a
      // message put back at once would be the next one read again.
      const others: amqp.GetMessage[] = [];
      for (let i = 0; i < messageCount; i++) {
        const message = await channel.get(queue, { noAck: false });
        if (message === false) break;
        const seen = found.get(orderIdOf(message.content));
        if (seen === undefined) {
          others.push(message);
          continue;
        }
        seen.push(queue);
        channel.ack(message);
      }
      for (const message of others) channel.nack(message, false, true);
    }
    await channel.close();
  } finally {
    await connection.close();
  }
  const lines: string[] = [];
  const failures: string[] = [];
  for (const order of orders) {
    const queues = found.get(order.id) ?? [];
    lines.push(`${order.id} ${order.status}: ${queues.join(', ') || 'no event'}`);
    if (queues.length !== 1 || queues[0] !== QUEUE_OF[order.status])
      failures.push(`order ${order.id} (${order.status}) reached ${JSON.stringify(queues)}`);
  }
  return { lines, failures };
}

/** The order an event is about; '' for a message that is not an order event. */
function orderIdOf(content: Buffer): string {
  try {
    const body = JSON.parse(content.toString()) as { payload?: { order?: { order_id?: string } } };
    return body.payload?.order?.order_id ?? '';
  } catch {
    return '';
  }
}
