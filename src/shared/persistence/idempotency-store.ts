/** What an Idempotency-Key stands for: the request it first came with and the order made. */
export interface IdempotencyRecord {
  key: string;
  /** A digest of the request that first used the key; a different request is refused. */
  fingerprint: string;
  order_id: string;
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
  /** Removes keys whose time is up; returns how many. */
  deleteExpired(now: Date): Promise<number>;
}
