import { eventually } from './eventually.js';
import { metricValue } from './metrics.js';

/**
 * Sends `poll` (a request with `Prefer: wait`) and resolves once the API holds it waiting, as
 * its `http_long_polls_waiting` gauge says; the answer is the poll's own promise.
 */
export async function whenHeld(
  opsUrl: string,
  poll: () => Promise<Response>,
): Promise<{ answer: Promise<Response> }> {
  const waiting = () => metricValue(opsUrl, 'http_long_polls_waiting');
  const before = await waiting();
  const answer = poll();
  await eventually(waiting, (count) => count > before, { what: 'the long-poll to be held' });
  return { answer };
}
