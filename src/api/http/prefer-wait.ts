/** The longest a client may ask GET /orders/{id} to wait (RFC 7240 lets a server cap it). */
export const MAX_WAIT_SECONDS = 30;

/**
 * The `wait` preference of RFC 7240 (`Prefer: wait=10`), in seconds, capped at
 * MAX_WAIT_SECONDS; undefined when absent or not a whole number (a preference that cannot be
 * read is ignored, as the RFC asks). Other preferences in the header are left alone.
 */
export function preferredWaitSeconds(header: string | string[] | undefined): number | undefined {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  for (const preference of values.flatMap((value) => value.split(','))) {
    const [token = '', rawValue] = (preference.split(';')[0] ?? '').split('=', 2);
    if (token.trim().toLowerCase() !== 'wait' || rawValue === undefined) continue;
    const value = rawValue.trim().replace(/^"(.*)"$/, '$1');
    if (!/^\d{1,9}$/.test(value)) return undefined;
    return Math.min(Number(value), MAX_WAIT_SECONDS);
  }
  return undefined;
}
