// The till's pending operations on the member item (`tp`, shared/coins/operations.ts) in a compact
// form: they ride on the item until the member's next till operation after the consumer stored
// them (up to a few wait there: shared/coins/operations.ts), through every
// consumer write in between, and a member item over 1 KB bills a second write unit. The form drops
// what the item or the record says besides — the member id, the sort key (from the operation's
// name), each entry's time when it is the record's, ids and refs derived from the lot or the
// operation id, a place at the item's own high-water mark — writes lots in base 36 and entries and
// takes as arrays, and counts as the outbox codec does. Whatever does not fit the derivation is
// kept as it is, so every record comes back exactly.
import { adjustmentKey, redemptionKey } from '../../shared/keys/ledger-keys';
import { lotId } from '../../shared/coins/lots';
import type { CoinTake } from '../../shared/coins/ledger';
import type { OpPlace, OperationRecord, PendingOperation, StoredEntry } from '../../shared/coins/operation-records';
import type { RedemptionAnswer } from '../../shared/coins/book';
import { compactCounts, parseCounts } from './coin-outbox-codec';

type Position = { shardId: string; seq: string } | null;
// The stored form is plain JSON whose shape this file alone defines.
// oxlint-disable-next-line typescript/no-explicit-any
type Json = any;

const opId = (op: string) => op.slice(2);
const skOf = (op: string) => (op.startsWith('a#') ? adjustmentKey(opId(op)) : redemptionKey(opId(op)));
const lot36 = (lot: number | null) => (lot === null ? null : lot.toString(36));

function shrinkEntry(e: StoredEntry, id: string, at: string): Json[] {
  const lid = e.lot === null ? null : lotId(e.lot);
  const eid = lid !== null && e.id === `${e.kind}:${lid}` ? '' : lid !== null && e.id === `${e.kind}:${id}:${lid}` ? '~' : e.id;
  const ref = lid !== null && e.ref === lid ? '' : e.ref === id ? '~' : e.ref;
  return [e.kind, e.day, e.coins, lot36(e.lot), eid, ref, ...(e.at === at ? [] : [e.at])];
}

function growEntry(a: Json[], id: string, at: string): StoredEntry {
  const [kind, day, coins, l36, eid, ref, own] = a;
  const lot = l36 === null ? null : parseInt(l36, 36);
  const lid = lot === null ? null : lotId(lot);
  return {
    id: eid === '' ? `${kind}:${lid}` : eid === '~' ? `${kind}:${id}:${lid}` : eid,
    at: own ?? at,
    day,
    kind,
    coins,
    lot,
    ref: ref === '' ? lid! : ref === '~' ? id : ref,
  };
}

const shrinkPlace = (p: OpPlace, hw: Position): Json[] =>
  p.after === null
    ? [p.v, null]
    : hw && p.after.shardId === hw.shardId && p.after.seq === hw.seq
      ? [p.v]
      : [p.v, p.after.shardId, p.after.seq];

function growPlace(a: Json[], hw: Position): OpPlace {
  if (a.length === 1) {
    if (!hw) throw new Error('pending till operation: placed at the high-water mark, but the item has none');
    return { v: a[0], after: { shardId: hw.shardId, seq: hw.seq } };
  }
  return { v: a[0], after: a[1] === null ? null : { shardId: a[1], seq: a[2] } };
}

const shrinkTake = (t: CoinTake): Json[] => [t.lot.toString(36), t.availableOn, t.expiresOn, t.coins, t.noticed ? 1 : 0];
const growTake = (a: Json[]): CoinTake => ({
  lot: parseInt(a[0], 36),
  availableOn: a[1],
  expiresOn: a[2],
  coins: a[3],
  noticed: a[4] === 1,
});

function shrinkRecord(r: OperationRecord, op: string, hw: Position): Json {
  const id = opId(op);
  const { memberId: _m, sk, entries, ...rest } = r;
  const out: Json = { ...rest, e: entries.map((e) => shrinkEntry(e, id, r.at)) };
  if (sk !== skOf(op)) out.sk = sk;
  if (r.kind === 'redemption') {
    const a = r.answer;
    const { body: _b, answer: _a, takes: _t, place, reversedPlace, ...more } = out;
    Object.assign(more, { body: r.body, t: r.takes.map(shrinkTake) });
    more.answer =
      a.redemptionId === id && a.coins === r.body.coins ? [a.valueFen, a.balance.available, a.balance.pending, a.balance.debt] : a;
    if (place) more.place = shrinkPlace(place, hw);
    if (reversedPlace) more.reversedPlace = shrinkPlace(reversedPlace, hw);
    return more;
  }
  return out;
}

function growRecord(x: Json, memberId: string, op: string, hw: Position): OperationRecord {
  const id = opId(op);
  const { e, sk, t, answer, place, reversedPlace, ...rest } = x;
  const r: Json = { memberId, sk: sk ?? skOf(op), ...rest, entries: (e as Json[][]).map((a) => growEntry(a, id, x.at)) };
  if (x.kind === 'redemption') {
    r.takes = (t as Json[][]).map(growTake);
    r.answer = Array.isArray(answer)
      ? ({
          redemptionId: id,
          coins: x.body.coins,
          valueFen: answer[0],
          balance: { available: answer[1], pending: answer[2], debt: answer[3] },
        } satisfies RedemptionAnswer)
      : answer;
    if (place) r.place = growPlace(place, hw);
    if (reversedPlace) r.reversedPlace = growPlace(reversedPlace, hw);
  }
  return r as OperationRecord;
}

/** The pending operations as stored; `hw`: the member's high-water mark the item holds besides. */
export function encodeTillOps(ops: readonly PendingOperation[], hw: Position): string {
  return JSON.stringify(
    ops.map((p) => {
      const counts = compactCounts(p.counts);
      return { o: p.op, r: shrinkRecord(p.record, p.op, hw), c: counts ?? p.counts, ...(p.settle ? { k: 1 } : {}) };
    }),
  );
}

export function decodeTillOps(text: string, memberId: string, hw: Position): PendingOperation[] {
  return (JSON.parse(text) as Json[]).map((x) => ({
    op: x.o,
    record: growRecord(x.r, memberId, x.o, hw),
    counts: typeof x.c === 'string' ? parseCounts(x.c) : x.c,
    ...(x.k === 1 ? { settle: true as const } : {}),
  }));
}
