import { z } from 'zod';
import { historyEntrySchema } from '../shared/domain/history-entry-schema.js';
import type { HistoryEntry } from '../shared/domain/order-history.js';

/**
 * What an attempt that ends in a retry did, kept with its job until a later attempt settles
 * the order. BullMQ records each failed attempt's `stack` on the job (`job.stacktrace`) in
 * the same Redis script that schedules the retry, and hands the list to the next attempt: so
 * the record rides on the write the retry makes anyway, instead of costing one of its own
 * (docs/adr/0017). Anything else in that list (the stack of an unexpected error) is skipped.
 */
const attemptRecordSchema = z.object({ history: z.array(historyEntrySchema) });

/** The text to put in the error's `stack`: the attempt's entries. */
export function encodeAttemptRecord(entries: readonly HistoryEntry[]): string {
  return JSON.stringify({ history: entries });
}

/** The entries the earlier attempts of a job recorded, oldest first. */
export function decodeAttemptRecords(stacktrace: readonly string[] | null): HistoryEntry[] {
  return (stacktrace ?? []).flatMap((text) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return []; // a real stack trace
    }
    const record = attemptRecordSchema.safeParse(parsed);
    if (!record.success) return [];
    return record.data.history.map((entry): HistoryEntry => ({ ...entry, at: new Date(entry.at) }));
  });
}
