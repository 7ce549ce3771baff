import { connect, type ChannelModel } from 'amqplib';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventContractError, contractViolations } from './event-contract.js';

/**
 * A downstream consumer that outlives broker restarts: a durable queue of its own, bound to
 * the exchange, and a consumer that reconnects on its own. Messages published while it is
 * away wait in its queue, as they would for a real consumer.
 *
 * Each delivery is checked against its message in docs/asyncapi.yaml, body and AMQP
 * properties. One that does not match is kept out of `deliveries`, and reading `deliveries`
 * or closing the listener then throws an EventContractError naming what differs.
 */
export async function listenDurably(options: {
  url: string;
  exchange: string;
  queue: string;
  routingKey: string;
}) {
  /**
   * Every delivery, duplicates included: message id, order id, when the order was accepted
   * (`created_at`) and confirmed (`sent_at`, the settlement's clock reading), and when it
   * arrived here, all in ms.
   */
  const deliveries: {
    messageId: string;
    orderId: string;
    acceptedAt: number;
    confirmedAt: number;
    receivedAt: number;
  }[] = [];
  const violations: string[] = [];
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
      const wrong = contractViolations(message);
      if (wrong.length > 0) {
        violations.push(...wrong);
        channel.ack(message);
        return;
      }
      const body = JSON.parse(message.content.toString('utf8')) as {
        sent_at: string;
        payload: { order: { order_id: string; created_at: string } };
      };
      deliveries.push({
        messageId: String(message.properties.messageId),
        orderId: body.payload.order.order_id,
        acceptedAt: Date.parse(body.payload.order.created_at),
        confirmedAt: Date.parse(body.sent_at),
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
  const conforming = () => {
    if (violations.length > 0) throw new EventContractError(violations);
  };
  return {
    /** Every delivery so far; throws once one did not match the contract. */
    get deliveries(): typeof deliveries {
      conforming();
      return deliveries;
    },
    async close(): Promise<void> {
      closing = true;
      const channelModel = connection;
      if (channelModel !== null) {
        const channel = await channelModel.createChannel();
        await channel.deleteQueue(options.queue);
        await channelModel.close();
      }
      conforming();
    },
  };
}

export type DurableListener = Awaited<ReturnType<typeof listenDurably>>;
