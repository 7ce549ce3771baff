/**
 * The flood's clients, run as a process of their own (see long-poll-flood.ts) so that opening
 * 10,000 connections does not stall the test's own requests: `polls` clients long-poll one
 * order, each on a connection of its own, as fast as the API accepts them. Arguments: API URL, order id, polls, wait
 * seconds. Sends `{ ready: true }` once loaded, waits for a message to begin, sends
 * `{ started: true }` as the first polls go out, then the tally.
 */
import { Pool } from 'undici';

const [url = '', orderId = '', pollsText = '0', waitText = '0'] = process.argv.slice(2);
const polls = Number(pollsText);
const tally = { ok: 0, waited: 0, overloaded: 0, errors: {} as Record<string, number> };
const pool = new Pool(url, { connections: polls, pipelining: 0 });

async function poll(): Promise<void> {
  try {
    const response = await pool.request({
      method: 'GET',
      path: `/orders/${orderId}`,
      headers: { prefer: `wait=${waitText}` },
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
    await response.body.dump();
    if (response.statusCode === 200) tally.ok++;
    if (response.statusCode === 503) tally.overloaded++;
    if (response.headers['preference-applied'] !== undefined) tally.waited++;
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'error';
    tally.errors[code] = (tally.errors[code] ?? 0) + 1;
  }
}

// Loaded and ready: the polls go out when the test says so.
await new Promise<void>((resolve) => {
  process.once('message', () => {
    resolve();
  });
  process.send?.({ ready: true });
});
// In waves of 500, each sent once the one before is on connections: the clients come as fast
// as the API accepts them. All at once, one client's connections would overflow the kernel's
// accept queue, and the kernel would reset some before the API ever saw them.
const WAVE = 500;
const sent: Promise<void>[] = [];
process.send?.({ started: true });
for (let first = 0; first < polls; first += WAVE) {
  for (let i = first; i < Math.min(first + WAVE, polls); i++) sent.push(poll());
  while (pool.stats.pending > 0) await new Promise((resolve) => setTimeout(resolve, 5));
}
const all = Promise.all(sent);
await all;
await pool.close();
process.send?.({ tally }, () => {
  process.exit(0);
});
