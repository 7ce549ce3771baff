/**
 * `npm run events:tail`: prints every created_order event as it arrives, for people trying the
 * service. What it shows is a copy: it reads a private queue of its own, bound to the `orders`
 * exchange and gone when it stops, so it never takes messages from real consumers, and the
 * events it shows are kept for them in their durable queues (`orders.created_order`). Reads
 * RABBITMQ_URL and ORDERS_EXCHANGE like the service; `--json` prints each message body as is.
 */
import { connect, type ConsumeMessage } from 'amqplib';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, loadCommonConfig } from '../src/shared/config/config.js';
import { CREATED_ORDER_ROUTING_KEY } from '../src/shared/domain/created-order-message.js';
import type { CreatedOrderMessage } from '../src/shared/domain/order.js';

function describeEvent(message: ConsumeMessage): string {
  const { messageId, correlationId } = message.properties as {
    messageId?: string;
    correlationId?: string;
  };
  try {
    const body = JSON.parse(message.content.toString('utf8')) as CreatedOrderMessage;
    const order = body.payload.order;
    return [
      body.sent_at,
      message.fields.routingKey,
      `order ${order.order_id}:`,
      `${order.customer_fullname} bought ${order.product_name} for ${order.total_amount}`,
      `(message ${messageId ?? '?'}, request ${correlationId ?? '?'})`,
    ].join(' ');
  } catch {
    return `${message.fields.routingKey} (message ${messageId ?? '?'}): not a created_order body`;
  }
}

async function tail(url: string, exchange: string, json: boolean): Promise<void> {
  const connection = await connect(url);
  // A broker restart arrives as an error, then a close: the close ends this tail, the
  // caller reconnects.
  connection.on('error', () => undefined);
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, exchange, CREATED_ORDER_ROUTING_KEY);
  await channel.consume(
    queue,
    (message) => {
      if (message === null) return;
      console.log(json ? message.content.toString('utf8') : describeEvent(message));
    },
    { noAck: true },
  );
  console.error(
    `listening for ${CREATED_ORDER_ROUTING_KEY} on exchange "${exchange}" (Ctrl-C to stop); ` +
      `these are copies: consumers read their own durable queues, such as ${exchange}.${CREATED_ORDER_ROUTING_KEY}`,
  );
  await new Promise<void>((resolve) => {
    connection.once('close', () => {
      resolve();
    });
  });
}

async function main(): Promise<void> {
  const { rabbitmq } = loadCommonConfig(process.env);
  const json = process.argv.includes('--json');
  // The broker drops the private queue with the connection.
  process.once('SIGINT', () => process.exit(0));
  for (;;) {
    try {
      await tail(rabbitmq.url, rabbitmq.exchange, json);
      console.error('broker connection closed; reconnecting');
    } catch (error) {
      console.error(`cannot reach the broker (${(error as Error).message}); retrying in 2 s`);
      await sleep(2000);
    }
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
