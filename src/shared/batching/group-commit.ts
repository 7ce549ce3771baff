import DataLoader from 'dataloader';

/** What a bulk call answers for each item: its own result, or the error that concerns it alone. */
export type BulkOutcomes<Out> = (Out | Error)[];

export interface GroupCommitOptions {
  /** Items per bulk call at most; a fuller burst goes out as several calls. */
  maxBatch: number;
}

/**
 * Group commit: turns a bulk operation into a single-item one. Calls made during one turn of
 * the event loop (the requests or jobs that arrived together) go out as one bulk call, as
 * soon as that turn ends: no timer, so a lone call waits for nothing, and a busy process
 * sends fewer, larger writes. Each caller is answered when the bulk call is, with its own
 * item's outcome; an error of the whole call (the store is down) reaches every caller in it.
 *
 * DataLoader does the collecting and fan-out; its cache is off, because every call here is a
 * write of its own.
 */
export function groupCommit<In, Out>(
  bulk: (items: readonly In[]) => Promise<BulkOutcomes<Out>>,
  options: GroupCommitOptions,
): (item: In) => Promise<Out> {
  const loader = new DataLoader<In, Out>(bulk, {
    cache: false,
    maxBatchSize: options.maxBatch,
    batchScheduleFn: (dispatch) => {
      setImmediate(dispatch);
    },
  });
  return (item) => loader.load(item);
}
