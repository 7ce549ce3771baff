/**
 * Settlements are announced on a Redis pub/sub channel so that every API replica can wake the
 * clients long-polling an order the moment it leaves PENDING, without polling the database.
 * A notice is only a hint to read the order again; one lost while Redis is away costs a
 * waiting client the rest of its wait, never a wrong answer.
 *
 * On a Redis Cluster a PUBLISH reaches the subscribers of every node (classic pub/sub is
 * cluster-wide, whatever the channel's name), so the channel needs no hash tag, and an API
 * subscribed through any node hears a worker publishing through any other.
 */
export function settlementChannel(queueName: string): string {
  return `${queueName}:order-settled`;
}

/**
 * One notice names the orders a worker settled in one event-loop turn, one id per line. A
 * replica of an older version reads a notice of several ids as one unknown id: its waiting
 * clients then wait their full time, the cost of any lost notice, while the versions mix.
 */
export function announcementOf(orderIds: readonly string[]): string {
  return orderIds.join('\n');
}

/** The order ids one notice names. */
export function announcedOrders(notice: string): string[] {
  return notice.split('\n');
}
