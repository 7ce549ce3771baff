/**
 * Floor part 4, the broker alone: a created_order event published as the worker publishes
 * it (persistent, mandatory, the same properties, its body serialized per publish) on an
 * amqplib confirm channel, each publish waiting for its confirm. The topic exchange and its
 * one bound queue are the scenario's own (ORDERS_EXCHANGE); the parent deletes both.
 */
import { connect, type ConfirmChannel } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { loadWorkerConfig } from '../../src/shared/config/config.js';
import {
  CREATED_ORDER_ROUTING_KEY,
  createdOrderEvent,
} from '../../src/shared/domain/created-order-message.js';
import { newPendingOrder } from '../../src/shared/domain/order-lifecycle.js';
import { INSTANT_ORDER } from '../stubs.js';
import { serveFloorPart } from './child.js';
import { floorQueueOf } from './protocol.js';

/**
 * The message of one order the bench stubs confirm, with its real fields and sizes; built
 * once, since building it is the worker's settlement work, not the publish.
 */
function createdOrderMessage(producer: string) {
  const now = new Date();
  const order = newPendingOrder(
    { id: randomUUID(), ...INSTANT_ORDER, request_id: randomUUID() },
    now,
  );
  const details = {
    customer_fullname: 'Grace Hopper',
    product_name: 'Bench Box',
    total_amount: 4.5,
  };
  return createdOrderEvent(order, details, { messageId: randomUUID(), producer, now, leaseMs: 0 })
    .message;
}

/** Publishes and resolves once the broker confirmed it; a nack or a closed channel rejects. */
function publishConfirmed(
  channel: ConfirmChannel,
  target: { exchange: string; producer: string },
  message: object,
): Promise<void> {
  return new Promise((resolve, reject) => {
    channel.publish(
      target.exchange,
      CREATED_ORDER_ROUTING_KEY,
      Buffer.from(JSON.stringify(message)),
      {
        persistent: true,
        mandatory: true,
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        messageId: randomUUID(),
        correlationId: randomUUID(),
        type: CREATED_ORDER_ROUTING_KEY,
        appId: target.producer,
        timestamp: Math.floor(Date.now() / 1000),
      },
      (error: unknown) => {
        if (error === null || error === undefined) resolve();
        else reject(error instanceof Error ? error : new Error('the broker refused the message'));
      },
    );
  });
}

await serveFloorPart(async () => {
  const config = loadWorkerConfig({ ...process.env, LOG_LEVEL: 'silent' });
  const { url, exchange } = config.rabbitmq;
  const connection = await connect(url);
  const channel = await connection.createConfirmChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  await channel.assertQueue(floorQueueOf(exchange), { durable: true });
  await channel.bindQueue(floorQueueOf(exchange), exchange, CREATED_ORDER_ROUTING_KEY);
  // A message no queue took comes back: that would be a broken setup, not a floor.
  let returned = 0;
  channel.on('return', () => {
    returned++;
  });
  const message = createdOrderMessage(config.producer);
  const target = { exchange, producer: config.producer };
  return {
    runOne: async () => {
      await publishConfirmed(channel, target, message);
      if (returned > 0) throw new Error(`${returned} messages came back unroutable`);
    },
    close: () => connection.close(),
  };
});
