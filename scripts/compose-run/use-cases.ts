/**
 * The six use cases of the assignment (test/support/use-cases.ts says how each must end),
 * posted together through the API's published port and long-polled until each settles.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { USE_CASES, type OrderBody } from '../../test/support/use-cases.js';

export interface UseCaseResult {
  n: number;
  line: string;
  mismatch: string | undefined;
  /** The order and its final state, once it was accepted. */
  order?: { id: string; status: string };
}

async function settle(apiUrl: string, id: string, deadline: number): Promise<OrderBody> {
  for (;;) {
    const response = await fetch(`${apiUrl}/orders/${id}`, { headers: { prefer: 'wait=30' } });
    const body = (await response.json()) as OrderBody;
    if (body.status !== 'PENDING') return body;
    if (Date.now() > deadline) return body;
    if (response.status !== 200) await sleep(500);
  }
}

function mismatchOf(useCase: (typeof USE_CASES)[number], final: OrderBody): string | undefined {
  const expected = useCase.expect;
  if (expected.status === 'CONFIRMED') {
    const wrong = (['status', 'customer_fullname', 'product_name', 'total_amount'] as const).filter(
      (key) => final[key] !== expected[key],
    );
    return wrong.length === 0
      ? undefined
      : `expected ${JSON.stringify(expected)}, got ${JSON.stringify(final)}`;
  }
  if (final.status === 'FAILED' && expected.code.test(final.failure?.code ?? '')) return undefined;
  return `expected FAILED with ${String(expected.code)}, got ${JSON.stringify(final)}`;
}

export async function runSixUseCases(
  apiUrl: string,
  timeoutMs = 150_000,
): Promise<UseCaseResult[]> {
  const deadline = Date.now() + timeoutMs;
  return Promise.all(
    USE_CASES.map(async (useCase) => {
      const started = Date.now();
      const response = await fetch(`${apiUrl}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user_id: useCase.user_id, product_code: useCase.product_code }),
      });
      const label = `#${String(useCase.n)} ${useCase.user_id} ${useCase.product_code.padEnd(11)}`;
      if (response.status !== 202) {
        const text = await response.text();
        return { n: useCase.n, line: `${label} → HTTP ${String(response.status)}`, mismatch: text };
      }
      const accepted = (await response.json()) as OrderBody;
      const final = await settle(apiUrl, accepted.id, deadline);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const what =
        final.status === 'CONFIRMED'
          ? `${String(final.customer_fullname)}, ${String(final.product_name)}, ${String(final.total_amount)}`
          : `${final.failure?.code ?? ''}: ${final.failure?.message ?? ''}`;
      const mismatch = mismatchOf(useCase, final);
      return {
        n: useCase.n,
        line: `${label} → ${final.status} in ${seconds} s (${what})${mismatch === undefined ? '' : '  MISMATCH'}`,
        mismatch,
        order: { id: accepted.id, status: final.status },
      };
    }),
  );
}

/** The worker's counters once the six have settled: six events out, none waiting. */
export async function workerPublished(
  workerUrl: string,
  timeoutMs = 20_000,
): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const metrics = await (await fetch(`${workerUrl}/metrics`)).text();
    const sample = (name: string) => new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics)?.[1];
    const published = sample('events_published_total');
    const backlog = sample('outbox_backlog_events');
    const last = `events_published_total ${String(published)}, outbox_backlog_events ${String(backlog)}`;
    if (published === '6' && backlog === '0') return undefined;
    if (Date.now() > deadline) return `expected 6 events published and none waiting; ${last}`;
    await sleep(500);
  }
}
