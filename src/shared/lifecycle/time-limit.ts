/**
 * Waits for `work` for at most `limitMs`; past it, rejects with `late()`. The timer is
 * cleared as soon as the work settles: at thousands of calls a second, timers left to run out
 * would hold every caller's closure for the whole limit. A plain timer, because aborting a
 * promise timer builds an AbortError with its stack on every call. The work goes on after the
 * limit; its late failure is of no interest.
 */
export async function withinTimeLimit<T>(
  work: Promise<T>,
  limitMs: number,
  late: () => Error,
): Promise<T> {
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(late());
    }, limitMs);
    timer.unref();
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
