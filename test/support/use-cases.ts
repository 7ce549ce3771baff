import { expect } from 'chai';
import { eventually } from './eventually.js';
import { eventsAbout, listenForEvents } from './event-listener.js';

export interface OrderBody {
  id: string;
  status: string;
  customer_fullname: string | null;
  product_name: string | null;
  total_amount: number | null;
  created_at: string;
  failure?: { code: string; message: string };
}

export interface UseCase {
  n: number;
  user_id: string;
  product_code: string;
  expect:
    | { status: 'CONFIRMED'; customer_fullname: string; product_name: string; total_amount: number }
    | { status: 'FAILED'; code: RegExp };
}

const ADA = 'Ada Lovelace';
const ALAN = 'Alan Turing';
const VEGGIE_FAILURE = /^PRODUCT_SERVICE_(ERROR|CIRCUIT_OPEN)$/;

/** The six use cases of the assignment, and how each must end with the default configuration. */
export const USE_CASES: readonly UseCase[] = [
  {
    n: 1,
    user_id: '7c11e1ce2741',
    product_code: 'classic-box',
    expect: {
      status: 'CONFIRMED',
      customer_fullname: ADA,
      product_name: 'Classic Box',
      total_amount: 9.99,
    },
  },
  {
    n: 2,
    user_id: '7c11e1ce2741',
    product_code: 'family-box',
    expect: {
      status: 'CONFIRMED',
      customer_fullname: ADA,
      product_name: 'Family Box',
      total_amount: 14.99,
    },
  },
  {
    n: 3,
    user_id: '7c11e1ce2741',
    product_code: 'veggie-box',
    expect: { status: 'FAILED', code: VEGGIE_FAILURE },
  },
  {
    n: 4,
    user_id: 'e6f24d7d1c7e',
    product_code: 'classic-box',
    expect: {
      status: 'CONFIRMED',
      customer_fullname: ALAN,
      product_name: 'Classic Box',
      total_amount: 9.99,
    },
  },
  {
    n: 5,
    user_id: 'e6f24d7d1c7e',
    product_code: 'family-box',
    expect: {
      status: 'CONFIRMED',
      customer_fullname: ALAN,
      product_name: 'Family Box',
      total_amount: 14.99,
    },
  },
  {
    n: 6,
    user_id: 'e6f24d7d1c7e',
    product_code: 'veggie-box',
    expect: { status: 'FAILED', code: VEGGIE_FAILURE },
  },
];

/** How one use case ended: its final order, the request id of its POST, seconds to settle. */
export interface UseCaseOutcome {
  useCase: UseCase;
  final: OrderBody;
  requestId: string | null;
  seconds: number;
}

/**
 * Posts the six orders together, then long-polls each, as a client would, until it leaves
 * PENDING; prints how each ended. `onSettled` hears each order as soon as it settles.
 */
export async function runUseCases(
  apiUrl: string,
  onSettled: (outcome: UseCaseOutcome) => void = () => undefined,
): Promise<UseCaseOutcome[]> {
  const started = Date.now();
  const accepted = await Promise.all(
    USE_CASES.map(async (useCase) => {
      const response = await fetch(`${apiUrl}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user_id: useCase.user_id, product_code: useCase.product_code }),
      });
      expect(response.status, `use case ${useCase.n} accepted`).to.equal(202);
      const order = (await response.json()) as OrderBody;
      expect(order.status).to.equal('PENDING');
      expect(response.headers.get('location')).to.equal(`/orders/${order.id}`);
      const requestId = response.headers.get('x-request-id');
      return { useCase, order, requestId, acceptedAt: Date.now() };
    }),
  );
  const acceptMs = Date.now() - started;

  const outcomes = await Promise.all(
    accepted.map(async ({ useCase, order, requestId, acceptedAt }) => {
      // Each answer comes when the order settles (the settlement notice wakes it), or after 30 s.
      const final = await eventually(
        async () =>
          (
            await fetch(`${apiUrl}/orders/${order.id}`, { headers: { prefer: 'wait=30' } })
          ).json() as Promise<OrderBody>,
        (body) => body.status !== 'PENDING',
        { timeoutMs: 120_000, intervalMs: 10, what: `use case ${useCase.n} to settle` },
      );
      const outcome = { useCase, final, requestId, seconds: (Date.now() - acceptedAt) / 1000 };
      onSettled(outcome);
      return outcome;
    }),
  );

  console.log(`\n      six use cases (all accepted in ${acceptMs} ms):`);
  for (const { useCase, final, seconds } of outcomes) {
    const what =
      final.status === 'CONFIRMED'
        ? `${String(final.customer_fullname)}, ${String(final.product_name)}, ${String(final.total_amount)}`
        : `${final.failure?.code ?? ''}: ${final.failure?.message ?? ''}`;
    console.log(
      `      #${useCase.n} ${useCase.user_id} ${useCase.product_code.padEnd(11)} → ${final.status} in ${seconds.toFixed(1)} s (${what})`,
    );
  }
  return outcomes;
}

/** Each order ended as the assignment says, and slow was not broken. */
export function expectAssignedOutcomes(outcomes: readonly UseCaseOutcome[]): void {
  for (const { useCase, final } of outcomes) {
    const label = `use case ${useCase.n}`;
    if (useCase.expect.status === 'CONFIRMED') {
      expect(final, label).to.include({ ...useCase.expect });
      expect(final.failure, label).to.equal(undefined);
    } else {
      expect(final.status, label).to.equal('FAILED');
      expect(final.failure?.code, label).to.match(useCase.expect.code);
      expect(final.failure?.message, label).to.contain('HTTP 500');
      expect(final.customer_fullname, label).to.equal(null);
    }
  }

  // Slow is not broken, and it does not hold anyone up: classic-box orders finish in
  // seconds while the family-box lookups are still waiting for their 60-second answers.
  const seconds = (n: number) =>
    outcomes.find((outcome) => outcome.useCase.n === n)?.seconds ?? Infinity;
  expect(seconds(1), 'use case 1').to.be.lessThan(3);
  expect(seconds(4), 'use case 4').to.be.lessThan(10);
  expect(seconds(2), 'use case 2').to.be.greaterThan(59);
}

/** A consumer of both order events on `exchange`, bound as a downstream service would be. */
export async function listenForOrderEvents(rabbitmqUrl: string, exchange = 'orders') {
  const [created, failed] = await Promise.all(
    ['created_order', 'failed_order'].map((routingKey) =>
      listenForEvents({ url: rabbitmqUrl, exchange, routingKey }),
    ),
  );
  if (created === undefined || failed === undefined) throw new Error('unreachable');
  return {
    created,
    failed,
    close: async () => {
      await Promise.all([created.close(), failed.close()]);
    },
  };
}

export type OrderEventListeners = Awaited<ReturnType<typeof listenForOrderEvents>>;

/**
 * Every order published exactly one event, with the schema docs/api.md gives: `created_order`
 * when it was CONFIRMED, `failed_order` with its failure when it was FAILED.
 */
export async function expectOneEventPerOrder(
  outcomes: readonly UseCaseOutcome[],
  listeners: OrderEventListeners,
): Promise<void> {
  const listenerOf = (final: { status: string }) =>
    final.status === 'CONFIRMED' ? listeners.created : listeners.failed;
  await eventually(
    () =>
      Promise.resolve(
        outcomes.filter(({ final }) => eventsAbout(listenerOf(final), final.id).length === 0),
      ),
    (missing) => missing.length === 0,
    { timeoutMs: 15_000, what: 'an event for every order' },
  );
  // A second event the worker sent before the first arrived is in by then too.
  await Promise.all([listeners.created.fence(), listeners.failed.fence()]);
  for (const { useCase, final } of outcomes) {
    const created = eventsAbout(listeners.created, final.id);
    const failed = eventsAbout(listeners.failed, final.id);
    const [event, ...others] = final.status === 'CONFIRMED' ? created : failed;
    expect(others, `more events of use case ${useCase.n}`).to.deep.equal([]);
    expect(final.status === 'CONFIRMED' ? failed : created, `use case ${useCase.n}`).to.deep.equal(
      [],
    );
    const type = final.status === 'CONFIRMED' ? 'created_order' : 'failed_order';
    expect(event?.body, `${type} of use case ${useCase.n}`).to.deep.include({
      producer: 'order-service',
      type,
    });
    expect((event?.body as { payload: unknown }).payload).to.deep.equal({
      order:
        final.status === 'CONFIRMED'
          ? {
              order_id: final.id,
              customer_fullname: final.customer_fullname,
              product_name: final.product_name,
              total_amount: final.total_amount,
              created_at: final.created_at,
            }
          : {
              order_id: final.id,
              user_id: useCase.user_id,
              product_code: useCase.product_code,
              failure_code: final.failure?.code,
              failure_message: final.failure?.message,
              created_at: final.created_at,
            },
    });
    expect(event?.message.properties.contentType).to.equal('application/json');
    expect(event?.message.properties.deliveryMode).to.equal(2);
  }
}

/** An entry of `GET /orders/{id}?include=history`, as the API returns it. */
export interface HistoryEntryBody {
  type: 'lookup' | 'state';
  at: string;
  attempt?: number;
  dependency?: string;
  resource?: string;
  outcome?: string;
  duration_ms?: number;
  failure_code?: string;
  http_status?: number;
  from?: string | null;
  to?: string;
  by?: string;
  operator?: string;
  generation?: number;
}

/** One line per entry, its time from the first: what an operator reads. */
export function describeHistory(history: readonly HistoryEntryBody[]): string[] {
  const start = new Date(history[0]?.at ?? 0).getTime();
  return history.map((entry) => {
    const offset = `+${String(new Date(entry.at).getTime() - start)} ms`.padEnd(10);
    if (entry.type === 'state') {
      const who = entry.operator === undefined ? entry.by : `${String(entry.by)} ${entry.operator}`;
      const attempt =
        entry.attempt !== undefined
          ? ` (attempt ${String(entry.attempt)})`
          : entry.generation !== undefined
            ? ` (generation ${String(entry.generation)})`
            : '';
      const code = entry.failure_code === undefined ? '' : ` ${entry.failure_code}`;
      return `${offset}${entry.from ?? '∅'} → ${String(entry.to)}${code} by ${String(who)}${attempt}`;
    }
    const status = entry.http_status === undefined ? '' : ` HTTP ${String(entry.http_status)}`;
    const result = entry.outcome === 'found' ? 'found' : `${String(entry.failure_code)}${status}`;
    return `${offset}attempt ${String(entry.attempt)} ${String(entry.dependency)} ${String(entry.resource)}: ${result} in ${String(entry.duration_ms)} ms`;
  });
}

/** Reads each use case's order with its history and prints it. */
export async function readHistories(
  apiUrl: string,
  outcomes: readonly UseCaseOutcome[],
): Promise<Map<number, HistoryEntryBody[]>> {
  const histories = new Map<number, HistoryEntryBody[]>();
  console.log('\n      their histories (GET /orders/{id}?include=history):');
  for (const { useCase, final } of outcomes) {
    const response = await fetch(`${apiUrl}/orders/${final.id}?include=history`);
    expect(response.status).to.equal(200);
    const { history } = (await response.json()) as { history: HistoryEntryBody[] };
    histories.set(useCase.n, history);
    console.log(`      #${useCase.n} ${useCase.user_id} ${useCase.product_code}`);
    for (const line of describeHistory(history)) console.log(`          ${line}`);
  }
  return histories;
}

/**
 * What the seed's faulty services must leave in the histories: every veggie-box call failed
 * with HTTP 500 (or, once its breaker opened, was refused), one call per attempt; the
 * alternating user's calls are 500s answered by a 200 on a later attempt (the three orders
 * of that user share the alternation, so which of them meets a 500 depends on who asks
 * first); each order starts accepted by the API and ends settled by the worker.
 */
export function expectUseCaseHistories(histories: ReadonlyMap<number, HistoryEntryBody[]>): void {
  for (const [n, history] of histories) {
    expect(history[0], `use case ${n} begins accepted`).to.deep.include({
      type: 'state',
      from: null,
      to: 'PENDING',
      by: 'api',
    });
    expect(history.at(-1), `use case ${n} ends settled by the worker`).to.deep.include({
      type: 'state',
      from: 'PENDING',
      by: 'worker',
    });
  }
  for (const n of [3, 6]) {
    const veggie = (histories.get(n) ?? []).filter((entry) => entry.dependency === 'product');
    expect(veggie, `use case ${n}: veggie-box calls`).not.to.be.empty;
    expect(veggie[0], `use case ${n}: the first veggie-box call`).to.include({
      outcome: 'failed',
      http_status: 500,
    });
    for (const entry of veggie)
      expect(entry.failure_code, `use case ${n}`).to.match(VEGGIE_FAILURE);
    expect(
      veggie.map((entry) => entry.attempt),
      `use case ${n}: one veggie-box call per attempt`,
    ).to.deep.equal(veggie.map((_, index) => index + 1));
  }
  let alternations = 0;
  for (const n of [4, 5]) {
    const user = (histories.get(n) ?? []).filter((entry) => entry.dependency === 'user');
    const found = user.at(-1);
    expect(found, `use case ${n}: its last user call`).to.include({ outcome: 'found' });
    for (const entry of user.slice(0, -1)) {
      expect(entry, `use case ${n}: a user call before the answer`).to.include({
        outcome: 'failed',
        http_status: 500,
      });
    }
    if (user.length > 1) alternations++;
  }
  expect(alternations, 'an order of the alternating user met its 500').to.be.at.least(1);
}

/**
 * Case 4 on its own, from the scenario's start: the user service's 500, then its 200. The
 * 200 comes in attempt 2, or still in attempt 1 when the worker had seen the user answer
 * lately: then the 500 was no evidence about the order and spent no attempt (ADR 3).
 */
export function expectCaseFourHistory(history: readonly HistoryEntryBody[]): void {
  const user = history.filter((entry) => entry.dependency === 'user');
  const answered = user[1]?.attempt;
  expect(answered, 'the attempt of the 200').to.be.oneOf([1, 2]);
  expect(
    user.map(({ attempt, outcome, http_status }) => ({ attempt, outcome, http_status })),
  ).to.deep.equal([
    { attempt: 1, outcome: 'failed', http_status: 500 },
    { attempt: answered, outcome: 'found', http_status: undefined },
  ]);
  expect(history.at(-1)).to.deep.include({ to: 'CONFIRMED', by: 'worker', attempt: answered });
}
