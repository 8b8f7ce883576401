// The orders outbox: the orders a member write applies ride on that write (the member item's `oo`)
// and are stored on the ledger once it committed — one plain conditional put per order, where a
// claim put before the write and a transaction marking it applied with the write cost five units.
//
// Why this is exact. The member write is the commit: an order is applied exactly when a committed
// member write carries it or an earlier one did. So
//   1. an order item on the ledger always means "applied" (stored only from a committed outbox;
//      items claimed by the older protocol keep their `applied` flag and are read as before);
//   2. before a batch reduces a member it stores what the member's stored outbox holds (an earlier
//      delivery may have died between the member write and the puts; shared/batch/process-batch.ts),
//      so the ledger plus this run's own new orders are every order the member applied;
//   3. a purchase whose order is on neither is new: the run applies it and adds it to the outbox;
//      one found on either is a repeat (a retry, a replay at a new position, another event with the
//      same orderId) and applies nothing;
//   4. two deliveries of one member at once (a replay beside the live stream) race on the member's
//      version: the loser's records are redelivered and find the winner's outbox (rule 2).
// A refund of an order still in this run's outbox is recorded on the outbox's order (its refunds
// and running totals), stored with it. A new refund of an order already on the ledger rides on the
// write the same way, as an entry of that order's new refunds only (`ledgerRefunds` names those the
// ledger has): each is then stored as its own item, flagged as stored after the order item (it is
// not in the item's running total; readers add it). The rules above hold for it as for an order:
// the member write is its commit, rule 2 stores it before the member is reduced again, and a
// refund found on the ledger or in this run's outbox is a repeat. It needs no claim and no
// transaction: refunds of one order are serialised by the member's version (the order's owner
// refunds it; a member that folded the owner in gets the owner's later events only after the owner's
// batch stored its outbox). A later write of the member replaces the outbox (rule 2
// stored it first); members not rewritten keep theirs, and their next delivery reads the ledger
// before putting (a put that finds the item is skipped: no write units for a repeat).
import { newRefunds, type OrderRecord } from './ledger';
import type { StreamPosition } from '../stream/position';

/** [orderId, day, points, eligibleCents, eligibleSkus, coins, eventId, revokedPoints, revokedCoins, refunds] */
type StoredOrder = [string, number, number, number, string[], number, string, number?, number?, Record<string, StoredRefund>?];
/** [eventId, revokedPoints, revokedCoins] */
type StoredRefund = [string, number, number];
/** An order on the ledger already: [orderId, its refunds new in the write] */
type StoredNewRefunds = [string, Record<string, StoredRefund>];

const storedRefund = (r: OrderRecord['refunds'][string]): StoredRefund => [r.eventId, r.revokedPoints, r.revokedCoins];

/** The outbox as the member item stores it (JSON; the claims' positions are the member write's). */
export function encodeOrders(orders: readonly OrderRecord[]): string | undefined {
  if (!orders.length) return undefined;
  return JSON.stringify(
    orders.map((o): StoredOrder | StoredNewRefunds => {
      if (o.ledgerRefunds) return [o.orderId, Object.fromEntries(newRefunds(o).map(([id, r]) => [id, storedRefund(r)]))];
      const refunds = Object.entries(o.refunds);
      const stored: StoredOrder = [o.orderId, o.day, o.points, o.eligibleCents, o.eligibleSkus, o.coins, o.claim.eventId];
      if (refunds.length || o.revokedPoints || o.revokedCoins) stored.push(o.revokedPoints, o.revokedCoins);
      if (refunds.length) stored.push(Object.fromEntries(refunds.map(([id, r]) => [id, storedRefund(r)])));
      return stored;
    }),
  );
}

/**
 * The outbox's orders, claimed (and their refunds) at `position`: the write that carries them. An
 * entry for an order on the ledger already carries its new refunds only (`ledgerRefunds` empty;
 * its other figures are those refunds' sums, or zero): it is read to be stored, never reduced.
 */
export function decodeOrders(text: string | undefined, position: StreamPosition | null): OrderRecord[] {
  if (!text) return [];
  const at = { shardId: position?.shardId ?? '', seq: position?.seq ?? '', applied: true };
  const refundsOf = (stored: Record<string, StoredRefund> | undefined) =>
    Object.fromEntries(
      Object.entries(stored ?? {}).map(([id, [e, p, c]]) => [id, { eventId: e, ...at, revokedPoints: p, revokedCoins: c }]),
    );
  return (JSON.parse(text) as (StoredOrder | StoredNewRefunds)[]).map((entry): OrderRecord => {
    if (entry.length === 2) {
      const [orderId, stored] = entry;
      const refunds = refundsOf(stored);
      const sum = (pick: (r: StoredRefund) => number) => Object.values(stored).reduce((n, r) => n + pick(r), 0);
      return {
        orderId,
        day: 0,
        points: 0,
        eligibleCents: 0,
        eligibleSkus: [],
        coins: 0,
        revokedPoints: sum((r) => r[1]),
        revokedCoins: sum((r) => r[2]),
        claim: { eventId: '', ...at },
        refunds,
        ledgerRefunds: [],
      };
    }
    const [orderId, day, points, eligibleCents, eligibleSkus, coins, eventId, rv, rc, refunds] = entry;
    return {
      orderId,
      day,
      points,
      eligibleCents,
      eligibleSkus,
      coins,
      revokedPoints: rv ?? 0,
      revokedCoins: rc ?? 0,
      claim: { eventId, ...at },
      refunds: refundsOf(refunds),
    };
  });
}

/** The orders of a member's outbox as the ledger stores them: claimed at the member write's position. */
export function ordersToStore(orders: readonly OrderRecord[] | undefined, position: StreamPosition | null): OrderRecord[] {
  return decodeOrders(encodeOrders(orders ?? []), position);
}
