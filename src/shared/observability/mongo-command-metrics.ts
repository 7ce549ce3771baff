import type { MongoClient } from 'mongodb';
import { Counter, type Registry } from 'prom-client';

/**
 * Counts the commands the process sends to MongoDB, by name (insert, update, find, …), from
 * the driver's command monitoring: divided by the orders handled, it is the round trips an
 * order costs the database.
 */
export function countMongoCommands(client: MongoClient, registry: Registry): void {
  const commands = new Counter({
    name: 'mongodb_commands_total',
    help: 'Commands sent to MongoDB, by command name',
    labelNames: ['command'],
    registers: [registry],
  });
  client.on('commandStarted', (event) => {
    commands.inc({ command: event.commandName });
  });
}
