// The lower bound of the issue: one write unit per (member, batch) pair in which the member has at
// least one event not seen before. Any exact design must persist, for each such pair, that the
// member's new event was applied (or the batch would be re-applied, or the event lost), and a
// member's state is one item; with this fixed batch plan no design can write less.
//
// The refined bound adds one unit per new order (the first purchase of a (memberId, orderId)): an
// exact design must keep each order's earn record somewhere a later refund can find it, whatever
// the member item holds, so a purchase costs a write of its own (once coins land, a redemption
// likewise; redemptions come through the API, not this plan).
import type { KinesisStreamEvent } from 'aws-lambda';

export interface LowerBound {
  /** (member, batch) pairs with at least one event not seen before = write units. */
  writeUnits: number;
  /** writeUnits plus one per new order. */
  refinedWriteUnits: number;
  /** New orders: purchases whose (memberId, orderId) had not been seen before. */
  orders: number;
  /** Records that decoded to an event with a memberId and an eventId. */
  events: number;
  /** Of those, events whose eventId had been seen in an earlier record. */
  repeats: number;
  batches: number;
}

function decode(data: string): { memberId: string; eventId: string; type?: unknown; orderId?: unknown } | null {
  try {
    const value = JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
    if (value && typeof value.memberId === 'string' && typeof value.eventId === 'string') return value;
  } catch {
    /* not an event: it writes nothing in any design */
  }
  return null;
}

/**
 * `batches[s]` = the batches of shard s in delivery order. Batches are visited round by round
 * (batch 0 of every shard, then batch 1, …) — the order matters only for an eventId that appears
 * on two shards, which only a repeat with a different memberId can do.
 */
export function lowerBound(batches: readonly (readonly KinesisStreamEvent[])[]): LowerBound {
  const seen = new Set<string>();
  const seenOrders = new Set<string>();
  let orders = 0;
  let writeUnits = 0;
  let events = 0;
  let repeats = 0;
  let count = 0;
  const rounds = Math.max(0, ...batches.map((b) => b.length));
  for (let round = 0; round < rounds; round++) {
    for (const shard of batches) {
      const batch = shard[round];
      if (!batch) continue;
      count++;
      const fresh = new Set<string>();
      for (const record of batch.Records) {
        const event = decode(record.kinesis.data);
        if (!event) continue;
        events++;
        if (seen.has(event.eventId)) {
          repeats++;
          continue;
        }
        seen.add(event.eventId);
        fresh.add(event.memberId);
        if (event.type === 'purchase' && typeof event.orderId === 'string') {
          const order = `${event.memberId}\u0000${event.orderId}`;
          if (!seenOrders.has(order)) {
            seenOrders.add(order);
            orders++;
          }
        }
      }
      writeUnits += fresh.size;
    }
  }
  return { writeUnits, refinedWriteUnits: writeUnits + orders, orders, events, repeats, batches: count };
}
