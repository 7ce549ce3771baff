import { connect } from 'node:net';
import { services } from '../support/services.js';

function reachable(url: string): Promise<boolean> {
  const { hostname, port, protocol } = new URL(url);
  const defaults: Record<string, number> = {
    'mongodb:': 27017,
    'redis:': 6379,
    'amqp:': 5672,
    'http:': 80,
  };
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || defaults[protocol]) });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

/**
 * The suite runs against real services and never skips: when one is missing it stops at
 * once and says how to start them.
 */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(10_000);
    const checks = await Promise.all(
      Object.entries(services).map(async ([name, url]) => ({
        name,
        url,
        up: await reachable(url),
      })),
    );
    const down = checks.filter((check) => !check.up);
    if (down.length > 0) {
      const list = down.map((check) => `${check.name} (${check.url})`).join(', ');
      console.error(`\nServices unreachable: ${list}.\nStart them with: npm run services:up\n`);
      process.exit(1);
    }
  },
};
