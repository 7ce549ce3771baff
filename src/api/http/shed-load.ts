import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { PROBLEM_CONTENT_TYPE, problem } from './problem.js';

export const OVERLOADED = problem({
  status: 503,
  slug: 'overloaded',
  title: 'Service unavailable',
  detail: 'This instance has too many requests in flight; send the request again in a moment.',
});
const OVERLOADED_BODY = JSON.stringify(OVERLOADED);

/** Reads may take this share of the requests in flight; the rest is kept for writes. */
const READ_SHARE = 0.75;
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Reads handed to the app per event-loop turn; the rest wait for the next turn. */
const READS_PER_TURN = 16;

/**
 * Answers requests past their budget at once with a 503 problem, before the framework sees
 * them: a refused request costs no context, no logger and no database read, so a flood (10,000
 * long-polls arriving together) cannot take the heap past its cap.
 *
 * Writes come first: reads (long-polls included) may hold at most three quarters of
 * `maxInFlight`, and are also refused on a connection opened past the server's cap
 * (`overConnectionCap`, see server-limits); writes may use all of `maxInFlight` and are not
 * refused for the connection cap. A flood of polls is turned away before any order is.
 * Requests already in flight are not affected; `Retry-After: 1` and `Connection: close` send
 * clients elsewhere.
 */
export function shedLoad(
  handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
  limits: { maxInFlight: number; overConnectionCap?: (request: IncomingMessage) => boolean },
  onShed: () => void = () => undefined,
): RequestListener {
  const maxReads = Math.max(1, Math.floor(limits.maxInFlight * READ_SHARE));
  let inFlight = 0;
  const handRead = paceReads(handle);
  return (request: IncomingMessage, response: ServerResponse) => {
    // Asked for every request: a connection counts against the cap from its first one.
    const lateConnection = limits.overConnectionCap?.(request) === true;
    const read = READS.has(request.method ?? 'GET');
    const refused = read ? inFlight >= maxReads || lateConnection : inFlight >= limits.maxInFlight;
    if (refused) {
      onShed();
      response.writeHead(503, {
        'content-type': PROBLEM_CONTENT_TYPE,
        'retry-after': '1',
        connection: 'close',
      });
      response.end(OVERLOADED_BODY);
      return;
    }
    inFlight++;
    response.once('close', () => {
      inFlight--;
    });
    if (read) handRead(request, response);
    else void handle(request, response); // Koa answers its own errors
  };
}

/**
 * Hands reads to the app a few per event-loop turn. Between turns Node runs the I/O callbacks
 * that waited, so an order's insert or enqueue continues behind at most READS_PER_TURN reads,
 * not behind the hundreds of long-polls that arrived in the same turn.
 */
function paceReads(
  handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
): (request: IncomingMessage, response: ServerResponse) => void {
  const waiting: [IncomingMessage, ServerResponse][] = [];
  let handedThisTurn = 0;
  let turnScheduled = false;
  const nextTurn = () => {
    turnScheduled = false;
    handedThisTurn = 0;
    while (waiting.length > 0 && handedThisTurn < READS_PER_TURN) {
      const [request, response] = waiting.shift() as [IncomingMessage, ServerResponse];
      if (response.destroyed) continue;
      handedThisTurn++;
      void handle(request, response);
    }
    if (waiting.length > 0) scheduleTurn();
  };
  const scheduleTurn = () => {
    if (turnScheduled) return;
    turnScheduled = true;
    setImmediate(nextTurn);
  };
  return (request, response) => {
    if (waiting.length === 0 && handedThisTurn < READS_PER_TURN) {
      handedThisTurn++;
      scheduleTurn();
      void handle(request, response);
      return;
    }
    waiting.push([request, response]);
    scheduleTurn();
  };
}
