import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { Logger } from '../observability/logger.js';
import type { EventPublisher, OutgoingEvent } from './event-publisher.js';

interface Link {
  connection: ChannelModel;
  channel: ConfirmChannel;
}

/**
 * Publishes to a durable topic exchange over a confirm channel. The connection is opened on
 * first use and dropped when the broker goes away, so the next publish reconnects: a broker
 * outage fails the publishes made during it (their jobs retry) and heals by itself.
 */
export function createAmqpEventPublisher(options: {
  url: string;
  exchange: string;
  producer: string;
  confirmTimeoutMs?: number;
  connectTimeoutMs?: number;
  logger: Logger;
}): EventPublisher {
  const { url, exchange, producer, logger } = options;
  const confirmTimeoutMs = options.confirmTimeoutMs ?? 10_000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  let link: Promise<Link> | null = null;
  // Each connection attempt gets a number; events of an older connection (a late 'close')
  // must not forget a newer link.
  let generation = 0;

  async function open(mine: number): Promise<Link> {
    // `timeout` bounds the TCP connect and the AMQP handshake: a broker that accepts the
    // socket but never answers must not hold every publishing job.
    const connection = await connect(url, {
      timeout: connectTimeoutMs,
      clientProperties: { connection_name: producer },
    });
    const forget = (reason: string) => (error?: Error) => {
      if (generation !== mine || link === null) return;
      logger.warn({ err: error, reason }, 'broker connection lost');
      link = null;
    };
    connection.on('error', forget('connection error'));
    connection.on('close', forget('connection closed'));
    try {
      const channel = await connection.createConfirmChannel();
      channel.on('error', forget('channel error'));
      channel.on('close', () => {
        // A channel can close on its own (e.g. a failed assertion): drop the whole
        // connection, so the next publish starts clean.
        forget('channel closed')();
        connection.close().catch(() => undefined);
      });
      await channel.assertExchange(exchange, 'topic', { durable: true });
      logger.info({ exchange }, 'connected to the broker');
      return { connection, channel };
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  function currentLink(): Promise<Link> {
    if (link === null) {
      const mine = ++generation;
      link = open(mine).catch((error: unknown) => {
        if (generation === mine) link = null;
        throw error;
      });
    }
    return link;
  }

  function publishConfirmed(channel: ConfirmChannel, event: OutgoingEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`the broker did not confirm message ${event.messageId} in time`));
      }, confirmTimeoutMs);
      const settle = (error: unknown) => {
        clearTimeout(timer);
        if (error === null || error === undefined) resolve();
        else reject(error instanceof Error ? error : new Error('the broker refused the message'));
      };
      try {
        channel.publish(
          exchange,
          event.routingKey,
          Buffer.from(JSON.stringify(event.body)),
          {
            persistent: true,
            contentType: 'application/json',
            contentEncoding: 'utf-8',
            messageId: event.messageId,
            type: event.type,
            appId: producer,
            timestamp: Math.floor(event.timestamp.getTime() / 1000),
          },
          settle,
        );
      } catch (error) {
        settle(error ?? new Error('publish failed')); // e.g. the channel closed a moment ago
      }
    });
  }

  return {
    async publish(event) {
      const { channel } = await currentLink();
      await publishConfirmed(channel, event);
    },
    async close() {
      const current = link;
      generation++;
      link = null;
      if (current === null) return;
      const { connection } = await current.catch(() => ({ connection: null }));
      await connection?.close().catch(() => undefined);
    },
  };
}
