/**
 * The flood's clients, run as a process of their own (see long-poll-flood.ts) so that opening
 * 10,000 connections does not stall the test's own requests: `polls` clients long-poll one
 * order, each on a connection of its own, as fast as the API accepts them. Arguments: API URL,
 * order id, polls, wait seconds. Sends `{ ready: true }` once loaded, waits for a message to
 * begin, sends `{ started: true }` as the first polls go out, then the tally.
 *
 * Each client is a bare socket that writes one request and reads the answer until the server
 * closes it (`Connection: close`), not an HTTP client library: the flood shares the box with
 * the API it measures, and undici's pool spent 1.5–1.8 s of CPU on 10,000 polls, about what
 * the API spent answering them; bare sockets spend under half of that. Only the status and
 * whether `Preference-Applied` came back matter.
 */
import { connect, type Socket } from 'node:net';

const [url = '', orderId = '', pollsText = '0', waitText = '0'] = process.argv.slice(2);
const polls = Number(pollsText);
const target = new URL(url);
const REQUEST = Buffer.from(
  `GET /orders/${orderId} HTTP/1.1\r\nHost: ${target.host}\r\n` +
    `Prefer: wait=${waitText}\r\nConnection: close\r\n\r\n`,
  'latin1',
);
const TIMEOUT_MS = 60_000;
const tally = { ok: 0, waited: 0, overloaded: 0, errors: {} as Record<string, number> };

function count(answer: string, error: string | undefined): void {
  const status = /^HTTP\/1\.1 (\d{3}) /.exec(answer)?.[1];
  if (status === undefined) {
    const code = error ?? 'closed without an answer';
    tally.errors[code] = (tally.errors[code] ?? 0) + 1;
    return;
  }
  if (status === '200') tally.ok++;
  if (status === '503') tally.overloaded++;
  const head = answer.slice(0, answer.indexOf('\r\n\r\n') + 2);
  if (/\r\npreference-applied:/i.test(head)) tally.waited++;
}

/** One poll: resolves `connected` once its connection is up (or failed), `answered` at the end. */
function poll(): { connected: Promise<void>; answered: Promise<void> } {
  const socket: Socket = connect({ host: target.hostname, port: Number(target.port) });
  const chunks: Buffer[] = [];
  let error: string | undefined;
  const connected = new Promise<void>((resolve) => {
    socket.once('connect', resolve);
    socket.once('close', () => {
      resolve();
    });
  });
  const answered = new Promise<void>((resolve) => {
    socket.once('close', () => {
      count(Buffer.concat(chunks).toString('latin1'), error);
      resolve();
    });
  });
  socket.setTimeout(TIMEOUT_MS, () => {
    error = 'TIMEOUT';
    socket.destroy();
  });
  socket.once('connect', () => {
    socket.write(REQUEST);
  });
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', (cause: NodeJS.ErrnoException) => {
    error = cause.code ?? 'error';
  });
  return { connected, answered };
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
const answered: Promise<void>[] = [];
process.send?.({ started: true });
for (let first = 0; first < polls; first += WAVE) {
  const wave = Array.from({ length: Math.min(WAVE, polls - first) }, poll);
  answered.push(...wave.map((client) => client.answered));
  await Promise.all(wave.map((client) => client.connected));
}
await Promise.all(answered);
process.send?.({ tally }, () => {
  process.exit(0);
});
