import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { Logger } from '../observability/logger.js';
import { parkingQueueOf } from './event-publisher.js';

export interface Link {
  connection: ChannelModel;
  channel: ConfirmChannel;
}

/** One connection and confirm channel to the broker, opened on demand and again after loss. */
export interface AmqpLink {
  /** The open link, or a new one; rejects while the broker cannot be reached. */
  current(): Promise<Link>;
  /** Resolves when the broker answers (readiness). */
  ensureConnected(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The connection is opened on first use and dropped when the broker goes away, so the next
 * use reconnects: an outage fails what is attempted during it and heals by itself. The
 * exchange and its parking queue are declared on every new connection.
 */
export function createAmqpLink(options: {
  url: string;
  exchange: string;
  connectionName: string;
  connectTimeoutMs?: number;
  logger: Logger;
}): AmqpLink {
  const { url, exchange, logger } = options;
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  let link: Promise<Link> | null = null;
  // Each connection attempt gets a number; events of an older connection (a late 'close')
  // must not forget a newer link.
  let generation = 0;

  async function open(mine: number): Promise<Link> {
    // `timeout` bounds the TCP connect and the AMQP handshake: a broker that accepts the
    // socket but never answers must not hold every caller.
    const connection = await connect(url, {
      timeout: connectTimeoutMs,
      clientProperties: { connection_name: options.connectionName },
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
        // connection, so the next use starts clean.
        forget('channel closed')();
        connection.close().catch(() => undefined);
      });
      await channel.assertExchange(exchange, 'topic', { durable: true });
      // Where events no consumer's queue is bound for are kept (see the event publisher).
      await channel.assertQueue(parkingQueueOf(exchange), { durable: true });
      logger.info({ exchange }, 'connected to the broker');
      return { connection, channel };
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  function current(): Promise<Link> {
    if (link === null) {
      const mine = ++generation;
      link = open(mine).catch((error: unknown) => {
        if (generation === mine) link = null;
        throw error;
      });
    }
    return link;
  }

  return {
    current,
    async ensureConnected() {
      await current();
    },
    async close() {
      const open = link;
      generation++;
      link = null;
      if (open === null) return;
      const { connection } = await open.catch(() => ({ connection: null }));
      await connection?.close().catch(() => undefined);
    },
  };
}
