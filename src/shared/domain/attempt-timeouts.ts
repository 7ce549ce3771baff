/**
 * Escalating per-attempt time limits: the first attempt is short, so a lost request or a
 * stuck connection is noticed within seconds; every later attempt is patient, so a slow but
 * working service (the 60-second family-box) gets the time it needs. See docs/adr/0003.
 */
export interface AttemptTimeouts {
  firstMs: number;
  patientMs: number;
}

export interface AttemptTimeout {
  timeoutMs: number;
  patient: boolean;
}

export function timeoutForAttempt(
  attemptNumber: number,
  timeouts: AttemptTimeouts,
): AttemptTimeout {
  if (attemptNumber <= 1 && timeouts.firstMs < timeouts.patientMs) {
    return { timeoutMs: timeouts.firstMs, patient: false };
  }
  return { timeoutMs: timeouts.patientMs, patient: true };
}

/**
 * The attempt's limit, cut short where the order's deadline comes first (`msLeft` until it):
 * no attempt may outlast the deadline, which is a hard bound on how long an order is PENDING.
 */
export function withinDeadline(limit: AttemptTimeout, msLeft: number): AttemptTimeout {
  return { ...limit, timeoutMs: Math.max(1, Math.min(limit.timeoutMs, msLeft)) };
}
