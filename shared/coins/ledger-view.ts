/**
 * The member's coin ledger as GET /members/{id}/coins/ledger lists it, from what the ledger store
 * holds: each order's earn and its refunds' revokes (from the order record the consumer reads too:
 * shared/member/ledger.ts), the API's operations and the consumer's booked movements (their
 * `entries`), and the booked movements still held on the member item. One reader (CoinLedgerReader) gives them all; this module only shapes and pages.
 */
import { dayString } from '../days/days';
import { originOf, personLedgerKeys, type Origin } from '../identity/person-ledger';
import type { MemberState } from '../member/state';
import type { OrderRecord } from '../member/ledger';
import { lotId, lotNumber } from './lots';
import { heldMoves, type BookedMove } from './outbox';
import type { StoredEntry } from './operation-records';

export interface CoinLedgerReader {
  /** Every coin movement of the member, in no particular order. */
  coinLedger(memberId: string): Promise<StoredEntry[]>;
}

/**
 * An order's coin movements: its earn (the start of its day) and one revoke per refund that took
 * coins, booked on the order's day (the lot it takes back), just after the earn.
 */
export function orderCoinEntries(order: OrderRecord): StoredEntry[] {
  const out: StoredEntry[] = [];
  const lot = lotNumber('order', order.orderId);
  const day = order.day;
  if (order.coins > 0)
    out.push({
      id: `earn:${order.orderId}`,
      at: `${dayString(day)}T00:00:00.000Z`,
      day,
      kind: 'earn',
      coins: order.coins,
      lot,
      ref: order.orderId,
    });
  for (const [refundId, r] of Object.entries(order.refunds)) {
    if (!r.revokedCoins) continue;
    out.push({
      id: `revoke:${order.orderId}:${refundId}`,
      at: `${dayString(day)}T00:00:00.001Z`,
      day,
      kind: 'revoke',
      coins: -r.revokedCoins,
      lot,
      ref: refundId,
    });
  }
  return out;
}

/** A movement of the person's ledger, marked when it lies under an id folded into the member. */
export type PersonEntry = StoredEntry & { origin?: Origin };

/**
 * The person's coin movements (docs/architecture.md#operator-merge): the member's own and those under
 * every id folded into it (a merged member's earlier movements, and the orders of its forwarded
 * events, claimed under its key), each marked `mergedFrom`; ids prefixed by their key, so none collide.
 */
export async function personCoinLedger(
  reader: CoinLedgerReader,
  state: Pick<MemberState, 'memberId' | 'identities' | 'coinOut' | 'tillOps'>,
): Promise<PersonEntry[]> {
  const lists = await Promise.all(
    personLedgerKeys(state).map(async (key) => {
      const entries = await reader.coinLedger(key);
      if (key === state.memberId) {
        // The member's `available` / `expire` movements not filed yet ride on its item (outbox.ts),
        // and so do the till's operations the consumer has not stored yet (settle.ts); one filed
        // meanwhile (a write after this read) is listed once.
        const ids = new Set(entries.map((e) => e.id));
        const held = [...movesAsEntries(heldMoves(state.coinOut)), ...(state.tillOps ?? []).flatMap((p) => p.record.entries)];
        const out = [...entries];
        for (const e of held) {
          if (ids.has(e.id)) continue;
          ids.add(e.id);
          out.push(e);
        }
        return out;
      }
      const origin = originOf(state.memberId, key);
      return entries.map((e) => ({ ...e, id: `${key}\u0000${e.id}`, origin }));
    }),
  );
  return lists.flat();
}

/** Booked movements as the ledger stores them: `at` is the start of the movement's day. */
export const movesAsEntries = (moves: readonly BookedMove[]): StoredEntry[] =>
  moves.map((m) => ({ ...m, at: `${dayString(m.day)}T00:00:00.000Z` }));

export interface CoinLedgerPage {
  entries: ({ at: string; day: string; kind: StoredEntry['kind']; coins: number; lotId: string | null; ref: string } & Origin)[];
  nextCursor: string | null;
}

const newestFirst = (a: StoredEntry, b: StoredEntry) => (a.at !== b.at ? (a.at < b.at ? 1 : -1) : a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** One page, newest first; the cursor is the last entry's (at, id). */
export function coinLedgerPage(all: readonly PersonEntry[], limit: number, cursor: string | undefined): CoinLedgerPage {
  const rows = [...all].sort(newestFirst);
  let start = 0;
  if (cursor) {
    const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('\n');
    start = rows.findIndex((r) => r.at < at || (r.at === at && r.id < id));
    if (start < 0) start = rows.length;
  }
  const page = rows.slice(start, start + limit);
  const last = page[page.length - 1];
  const more = start + page.length < rows.length;
  return {
    entries: page.map((e) => ({
      at: e.at,
      day: dayString(e.day),
      kind: e.kind,
      coins: e.coins,
      lotId: e.lot === null ? null : lotId(e.lot),
      ref: e.ref,
      ...e.origin,
    })),
    nextCursor: more && last ? Buffer.from(`${last.at}\n${last.id}`).toString('base64url') : null,
  };
}
