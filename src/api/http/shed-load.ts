import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { PROBLEM_CONTENT_TYPE, problem } from './problem.js';

export const OVERLOADED = problem(
  503,
  'overloaded',
  'Service unavailable',
  'This instance has too many requests in flight; send the request again in a moment.',
);
const OVERLOADED_BODY = JSON.stringify(OVERLOADED);

/**
 * Answers requests past `maxInFlight`, and those on a connection opened past the server's
 * cap (`overConnectionCap`, see server-limits), at once with a 503 problem, before the
 * framework sees them: a refused request costs no context, no logger and no database read,
 * so a flood (10,000 long-polls arriving together) cannot take the heap past its cap.
 * Requests already in flight are not affected; `Retry-After: 1` and `Connection: close` send
 * clients elsewhere.
 */
export function shedLoad(
  handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
  limits: { maxInFlight: number; overConnectionCap?: (request: IncomingMessage) => boolean },
  onShed: () => void = () => undefined,
): RequestListener {
  let inFlight = 0;
  return (request: IncomingMessage, response: ServerResponse) => {
    if (inFlight >= limits.maxInFlight || limits.overConnectionCap?.(request) === true) {
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
    void handle(request, response); // Koa answers its own errors
  };
}
