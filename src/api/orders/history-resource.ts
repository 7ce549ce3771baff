import { z } from 'zod';
import { historyEntrySchema } from '../../shared/domain/history-entry-schema.js';
import { HISTORY_LIMIT, type HistoryEntry } from '../../shared/domain/order-history.js';

export const historySchema = z
  .array(historyEntrySchema)
  .max(HISTORY_LIMIT)
  .meta({
    description:
      `With \`include=history\`: the order's lookups and state changes, oldest first, the ` +
      `newest ${HISTORY_LIMIT}. Attempts that only waited for a service that was down for ` +
      'everyone, or for room for a call, are not in it (they spend no attempt).',
  });

export type HistoryResource = z.infer<typeof historySchema>;

/** The stored entries as the API shows them: only their documented fields. */
export function historyResource(history: readonly HistoryEntry[]): HistoryResource {
  return history.flatMap((entry) => {
    const shown = historyEntrySchema.safeParse({ ...entry, at: entry.at.toISOString() });
    return shown.success ? [shown.data] : [];
  });
}
