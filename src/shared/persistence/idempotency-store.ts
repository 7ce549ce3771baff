/**
 * What an operator's request with an Idempotency-Key does, for its replay: the generation a
 * re-drive takes its order into; for a bulk re-drive, the page it took on (each order with
 * the generation it was in) and, once done, what it counted.
 */
export interface IdempotentOutcome {
  generation?: number;
  page?: { id: string; generation: number }[];
  redriven?: number;
  skipped?: number;
  next_cursor?: string | null;
}

/** What an Idempotency-Key stands for: the request it first came with and the order made. */
export interface IdempotencyRecord {
  key: string;
  /** A digest of the request that first used the key; a different request is refused. */
  fingerprint: string;
  /** The order the request made or re-drove; empty for a bulk re-drive. */
  order_id: string;
  outcome?: IdempotentOutcome;
  created_at: Date;
  /** Kept at least until then; removed by the housekeeping sweep after. */
  expires_at: Date;
}

export interface IdempotencyStore {
  /**
   * Records the key unless it is taken. Returns the record that holds the key, and `fresh`
   * when that is the one just given: of concurrent callers with one key, exactly one is.
   */
  remember(record: IdempotencyRecord): Promise<{ record: IdempotencyRecord; fresh: boolean }>;
  /** Records what the request under `key` did, once it is done. */
  recordOutcome(key: string, outcome: IdempotentOutcome): Promise<void>;
  /** Removes keys whose time is up; returns how many. */
  deleteExpired(now: Date): Promise<number>;
}
