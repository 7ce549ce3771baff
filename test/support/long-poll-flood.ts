import { Pool } from 'undici';
import { metricValue } from './metrics.js';

export interface FloodAnswers {
  polls: number;
  /** 200s, and how many of them waited (`Preference-Applied`). */
  ok: number;
  waited: number;
  /** 503 `/problems/overloaded`: shed before any work. */
  overloaded: number;
  /** Polls that got no HTTP answer, by error code. */
  errors: Record<string, number>;
  peakHeapMb: number;
}

async function heapUsedMb(opsUrl: string): Promise<number> {
  return (await metricValue(opsUrl, 'nodejs_heap_size_used_bytes')) / 1e6;
}

/**
 * `polls` clients long-poll one PENDING order at once (`Prefer: wait=<waitSeconds>`), each on
 * a connection of its own. Once every poll that is not held waiting has its answer (all but
 * `maxWaiters`), `whileHeld` runs, with the held ones still waiting. Reports how each poll
 * was answered and the API's peak heap, read from its metrics (operations port) every half
 * second.
 */
export async function floodLongPolls<R>(
  api: { url: string; opsUrl: string },
  orderId: string,
  options: { polls: number; maxWaiters: number; waitSeconds: number },
  whileHeld: () => Promise<R>,
): Promise<{ answers: FloodAnswers; whileHeld: R }> {
  const { polls } = options;
  const pool = new Pool(api.url, { connections: polls, pipelining: 0 });
  const answers: FloodAnswers = {
    polls,
    ok: 0,
    waited: 0,
    overloaded: 0,
    errors: {},
    peakHeapMb: 0,
  };
  const answered = () =>
    answers.ok +
    answers.overloaded +
    Object.values(answers.errors).reduce((sum, count) => sum + count, 0);
  const watch = setInterval(() => {
    heapUsedMb(api.opsUrl)
      .then((mb) => (answers.peakHeapMb = Math.max(answers.peakHeapMb, Math.round(mb))))
      .catch(() => undefined);
  }, 500);
  try {
    const started = Date.now();
    const all = Promise.all(
      Array.from({ length: polls }, async () => {
        try {
          const response = await pool.request({
            method: 'GET',
            path: `/orders/${orderId}`,
            headers: { prefer: `wait=${options.waitSeconds}` },
            headersTimeout: 60_000,
            bodyTimeout: 60_000,
          });
          await response.body.dump();
          if (response.statusCode === 200) answers.ok++;
          if (response.statusCode === 503) answers.overloaded++;
          if (response.headers['preference-applied'] !== undefined) answers.waited++;
        } catch (error) {
          const code = (error as { code?: string }).code ?? 'error';
          answers.errors[code] = (answers.errors[code] ?? 0) + 1;
        }
      }),
    );
    const holdMs = options.waitSeconds * 1000 * 2;
    while (answered() < polls - options.maxWaiters && Date.now() - started < holdMs)
      await new Promise((resolve) => setTimeout(resolve, 100));
    const result = await whileHeld();
    await all;
    return { answers, whileHeld: result };
  } finally {
    clearInterval(watch);
    await pool.close();
  }
}
