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

/**
 * The stored entries as the API shows them: only their documented fields, and the operator's
 * name only to callers who may see it (the owner of an order reads `by: operator` alone).
 */
export function historyResource(
  history: readonly HistoryEntry[],
  options: { operators: boolean },
): HistoryResource {
  return history.flatMap((entry) => {
    const shown = historyEntrySchema.safeParse({ ...entry, at: entry.at.toISOString() });
    if (!shown.success) return [];
    if (options.operators || shown.data.type !== 'state') return [shown.data];
    const { operator: _hidden, ...withoutOperator } = shown.data;
    return [withoutOperator];
  });
}
