import { connect, type ChannelModel } from 'amqplib';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A downstream consumer that outlives broker restarts: a durable queue of its own, bound to
 * the exchange, and a consumer that reconnects on its own. Messages published while it is
 * away wait in its queue, as they would for a real consumer.
 */
export async function listenDurably(options: {
  url: string;
  exchange: string;
  queue: string;
  routingKey: string;
}) {
  /** Message id, order id and arrival time (ms) of every delivery, duplicates included. */
  const deliveries: { messageId: string; orderId: string; receivedAt: number }[] = [];
  let connection: ChannelModel | null = null;
  let closing = false;

  async function attach(): Promise<void> {
    const opened = await connect(options.url);
    const channel = await opened.createChannel();
    await channel.assertExchange(options.exchange, 'topic', { durable: true });
    await channel.assertQueue(options.queue, { durable: true, autoDelete: false });
    await channel.bindQueue(options.queue, options.exchange, options.routingKey);
    await channel.consume(options.queue, (message) => {
      if (message === null) return;
      const body = JSON.parse(message.content.toString('utf8')) as {
        payload: { order: { order_id: string } };
      };
      deliveries.push({
        messageId: String(message.properties.messageId),
        orderId: body.payload.order.order_id,
        receivedAt: Date.now(),
      });
      channel.ack(message);
    });
    opened.on('error', () => undefined);
    opened.on('close', () => {
      connection = null;
      if (!closing) void reattach();
    });
    connection = opened;
  }

  async function reattach(): Promise<void> {
    while (!closing && connection === null) {
      try {
        await attach();
      } catch {
        await sleep(300);
      }
    }
  }

  await attach();
  return {
    deliveries,
    async close(): Promise<void> {
      closing = true;
      const channelModel = connection;
      if (channelModel === null) return;
      const channel = await channelModel.createChannel();
      await channel.deleteQueue(options.queue);
      await channelModel.close();
    },
  };
}

export type DurableListener = Awaited<ReturnType<typeof listenDurably>>;
