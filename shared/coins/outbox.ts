/**
 * Coin counters: per-day movement counts, in the day's counter item (`d#<day>`, beside the day's
 * other counters: one item write per day per flush, not two), and the running sums of available,
 * pending and debt, in the totals item (`totals`, beside members, tiers and segment sizes: one
 * item write per flush, not two), from which end-of-day figures are derived. Coin counts written
 * before they joined those items are in `cd#<YYYY-MM-DD>` and `cd#all` items
 * ({@link legacyCoinDayKey}, {@link LEGACY_COIN_TOTALS_KEY}): the reads add them in
 * ({@link coinDayKeys}, {@link COIN_TOTALS_KEYS}), and an outbox stored before still flushes to them.
 *
 * Why an outbox. Two writers change a member's coins: the stream consumer and the API (a
 * redemption at the till). The consumer writes its other counters *before* the member; if an API
 * write lands in between, the consumer's member write fails and the batch is redone on the new
 * state, where the same refund may split differently between lots and debt. Counting coin
 * movements before the member write would then keep the first, wrong split. So the consumer
 * counts coins *after* a successful member write, from the counts that write carried in
 * `coinOut`: a crash between the two leaves them on the member, and the redelivered batch adds
 * them (each counter item's mark says which outboxes it already holds: shared/batch/counter-marks.ts). The same goes
 * for the `available` and `expire` movements the ledger route lists: they ride in `moves`, held on
 * the member (`held`: the ledger route reads them there) until {@link MOVES_PER_ITEM} have gathered
 * or the member is merged away, and then go to one LedgerTable item after the member write (a
 * redelivery checks the item and writes it if the crash came first). A moves item per write that
 * booked one cost a write unit per lot becoming available (#12: coins must add no write beyond
 * the member's own).
 */
import { dayString } from '../days/days';
import { COIN_DAY_PREFIX, LEGACY_COIN_TOTALS_KEY, coinDayKey as coinDayKeyOf, dayKey, TOTALS_KEY } from '../keys/metrics-keys';
import { COIN_COUNTERS } from '../metrics/catalogue';
import type { CoinEntry } from './ledger';

export { COIN_COUNTERS, COIN_DAY_PREFIX, LEGACY_COIN_TOTALS_KEY };
/** The counter key the coin figures' running sums are added to: the totals item. */
export const COIN_TOTALS_KEY = TOTALS_KEY;
/** The counter keys holding the coin figures' running sums: the totals item and the legacy `cd#all`. */
export const COIN_TOTALS_KEYS: readonly string[] = [COIN_TOTALS_KEY, LEGACY_COIN_TOTALS_KEY];
/** The counter key a day's coin movements are added to: the day's own counter item. */
export const coinDayKey = (day: number) => dayKey(day);
/** Where coin day counts were kept before they joined the day items (read, never written anew). */
export const legacyCoinDayKey = (day: number) => coinDayKeyOf(dayString(day));
/** The counter keys holding a day's coin counts: the day item and the legacy coin day item. */
export const coinDayKeys = (day: number) => [coinDayKey(day), legacyCoinDayKey(day)];

const COIN_NAMES: readonly string[] = Object.values(COIN_COUNTERS);
const COIN_NAME_SET: ReadonlySet<string> = new Set(COIN_NAMES);

/**
 * A coin counter of an earlier day, counted in a later day's item: `<counter>@<day>`. A write
 * books movements of days before its own (an `available` the member's next event books lazily,
 * a late purchase); added to their own days' items, each such day was one more counter item write
 * per batch. They are added to the writing day's item instead (written in that batch anyway),
 * named for their day, and the readers, which read every day item from the first day asked for
 * up to tomorrow, count them on their own day.
 */
export const pastDayName = (counter: string, day: number) => `${counter}@${day}`;

/** The counter and day of a {@link pastDayName}, or null for a name of the item's own day. */
export function splitPastDayName(name: string): { counter: string; day: number } | null {
  const at = name.indexOf('@');
  if (at < 0) return null;
  const day = Number(name.slice(at + 1));
  return Number.isSafeInteger(day) ? { counter: name.slice(0, at), day } : null;
}

/** The coin counters of `keys`' summed counter items (their other counters left out), or null if none. */
function coinCountersOf(sums: ReadonlyMap<string, ReadonlyMap<string, number>>, keys: readonly string[]): Record<string, number> | null {
  let out: Record<string, number> | null = null;
  for (const key of keys) {
    const m = sums.get(key);
    if (!m) continue;
    for (const name of COIN_NAMES) {
      const n = m.get(name);
      if (n) (out ??= {})[name] = (out[name] ?? 0) + n;
    }
  }
  return out;
}

/**
 * Each day's coin counters, from summed counter items of the days `from` to `last` (their other
 * counters left out): a day's own, and those later days' items hold for it ({@link pastDayName};
 * a day before `from` among them too). Days without any are absent.
 */
export function coinDays(
  sums: ReadonlyMap<string, ReadonlyMap<string, number>>,
  from: number,
  last: number,
): Map<number, Record<string, number>> {
  const byDay = new Map<number, Record<string, number>>();
  const add = (day: number, name: string, n: number) => {
    if (!n) return;
    let m = byDay.get(day);
    if (!m) byDay.set(day, (m = {}));
    m[name] = (m[name] ?? 0) + n;
  };
  for (let d = from; d <= last; d++) {
    for (const key of coinDayKeys(d)) {
      const m = sums.get(key);
      if (!m) continue;
      for (const [name, n] of m) {
        if (COIN_NAME_SET.has(name)) add(d, name, n);
        else if (name.includes('@')) {
          const past = splitPastDayName(name);
          if (past && COIN_NAME_SET.has(past.counter)) add(past.day, past.counter, n);
        }
      }
    }
  }
  return byDay;
}

/** The coin figures' running sums from summed counter items (the totals item's other counters left out). */
export function coinTotals(sums: ReadonlyMap<string, ReadonlyMap<string, number>>): Record<string, number> {
  return coinCountersOf(sums, COIN_TOTALS_KEYS) ?? {};
}

export type CoinCounts = Record<string, Record<string, number>>;

export interface CoinOutbox {
  /** Where the write that carries them left its member: shard and the last record it applied. */
  shardId: string;
  seq: string;
  counts: CoinCounts;
  /**
   * The movements the consumer booked that no other item records (`available`, `expire`: earn and
   * revoke are on the order item): unless `held`, written to the ledger after the member write,
   * keyed by the outbox's position ({@link movesKey}) so a redelivery rewrites the same item.
   */
  moves?: BookedMove[];
  /** The moves stay on the member (the next write carries them on); absent: they are filed. */
  held?: boolean;
}

/** Moves held on a member before they are filed as one LedgerTable item. */
export const MOVES_PER_ITEM = 8;

/**
 * The moves a member write carries: those an earlier write left held, then the ones it booked;
 * held on unless there are {@link MOVES_PER_ITEM} or the member is merged away (its ledger is then
 * read under its key, from the ledger items only).
 */
export function nextMoves(old: CoinOutbox | null | undefined, booked: readonly BookedMove[], mergedAway: boolean) {
  const moves = [...(old?.held ? (old.moves ?? []) : []), ...booked];
  return { moves, held: moves.length > 0 && moves.length < MOVES_PER_ITEM && !mergedAway };
}

/** The moves a member holds that are not filed yet (the ledger route lists them with the filed ones). */
export const heldMoves = (out: CoinOutbox | null | undefined): BookedMove[] => (out?.held ? (out.moves ?? []) : []);

/** A ledger movement as the ledger route lists it (the consumer's `available` and `expire`). */
export interface BookedMove {
  id: string;
  day: number;
  kind: CoinEntry['kind'];
  coins: number;
  lot: number | null;
  ref: string;
}

/** Kinds only the member's ledger state knows (the ledger route reads them from the moves items). */
const UNRECORDED: ReadonlySet<CoinEntry['kind']> = new Set(['available', 'expire']);

export function bookedMoves(entries: readonly CoinEntry[]): BookedMove[] {
  return entries
    .filter((e) => UNRECORDED.has(e.kind))
    .map((e) => ({ id: e.id, day: e.day, kind: e.kind, coins: e.coins, lot: e.lot, ref: e.ref }));
}

/** The LedgerTable sort key of the moves one consumer write of a member booked. */
export const movesKey = (out: Pick<CoinOutbox, 'shardId' | 'seq'>) => `c#m#${out.shardId}#${out.seq}`;

export function addCount(counts: CoinCounts, key: string, name: string, n: number): void {
  if (n === 0) return;
  const item = (counts[key] ??= {});
  const next = (item[name] ?? 0) + n;
  if (next !== 0) {
    item[name] = next;
    return;
  }
  // Only a counter back at 0 can leave its key empty (no list of names built per count: #16).
  delete item[name];
  if (isEmpty(item)) delete counts[key];
}

function isEmpty(item: Record<string, number>): boolean {
  for (const _ in item) return false;
  return true;
}

const MOVEMENT: Record<CoinEntry['kind'], [string, number]> = {
  earn: [COIN_COUNTERS.issued, 1],
  available: [COIN_COUNTERS.available, 1],
  revoke: [COIN_COUNTERS.revoked, -1],
  redeem: [COIN_COUNTERS.redeemed, -1],
  reverse: [COIN_COUNTERS.reversed, 1],
  expire: [COIN_COUNTERS.expired, -1],
  adjust: [COIN_COUNTERS.adjusted, 1],
};

/**
 * The counter deltas of some ledger entries, booked on each entry's own day: in that day's item,
 * or, for a day before `writtenOn` (the day the write applies on: the member's coin day after
 * it), in `writtenOn`'s item under {@link pastDayName}s.
 */
export function coinCounts(entries: readonly CoinEntry[], writtenOn: number | null = null, into: CoinCounts = {}): CoinCounts {
  for (const e of entries) {
    const past = writtenOn !== null && e.day < writtenOn;
    const key = coinDayKey(past ? writtenOn : e.day);
    const name = (counter: string) => (past ? pastDayName(counter, e.day) : counter);
    const [movement, sign] = MOVEMENT[e.kind];
    addCount(into, key, name(movement), sign * e.coins);
    addCount(into, key, name(COIN_COUNTERS.dAvailable), e.delta.available);
    addCount(into, key, name(COIN_COUNTERS.dPending), e.delta.pending);
    addCount(into, key, name(COIN_COUNTERS.dDebt), e.delta.debt);
    addCount(into, COIN_TOTALS_KEY, COIN_COUNTERS.dAvailable, e.delta.available);
    addCount(into, COIN_TOTALS_KEY, COIN_COUNTERS.dPending, e.delta.pending);
    addCount(into, COIN_TOTALS_KEY, COIN_COUNTERS.dDebt, e.delta.debt);
  }
  return into;
}

export function mergeCounts(into: CoinCounts, more: CoinCounts, keys: Iterable<string> = Object.keys(more)): CoinCounts {
  for (const key of keys) {
    const names = more[key];
    if (!names) continue;
    if (into[key]) for (const name in names) addCount(into, key, name, names[name]);
    else copyCounts(into, key, names);
  }
  return into;
}

/**
 * `key`'s counters from a source `into` has none of yet: set in a fresh object without reading
 * `into` per counter (a large share of the handler's CPU went to those reads: #16). Zeros are left
 * out, as addCount leaves them out.
 */
export function copyCounts(into: CoinCounts, key: string, from: Readonly<Record<string, number>> | ReadonlyMap<string, number>): void {
  let fresh: Record<string, number> | undefined;
  if (from instanceof Map) {
    for (const [name, n] of from) if (n !== 0) (fresh ??= {})[name] = n;
  } else {
    const names = from as Readonly<Record<string, number>>;
    for (const name in names) if (names[name] !== 0) (fresh ??= {})[name] = names[name];
  }
  if (fresh) into[key] = fresh;
}

export interface CoinDayFigures {
  day: string;
  issued: number;
  available: number;
  revoked: number;
  redeemed: number;
  reversed: number;
  expired: number;
  adjusted: number;
  outstanding: number;
  pending: number;
  debt: number;
  liabilityFen: number;
}

/**
 * `/metrics/coins` from summed counters: `days` are the requested day numbers ascending, `byDay`
 * the summed counters of every day from the first requested one up to the last day that has any,
 * `totals` the summed `cd#all`. End-of-day figures = totals − the deltas of later days.
 */
export function coinFigures(
  days: readonly number[],
  byDay: Map<number, Record<string, number>>,
  totals: Record<string, number>,
  fenPerCoin: number,
): CoinDayFigures[] {
  const later = [...byDay.keys()].sort((a, b) => b - a);
  const out: CoinDayFigures[] = [];
  let a = totals[COIN_COUNTERS.dAvailable] ?? 0;
  let p = totals[COIN_COUNTERS.dPending] ?? 0;
  let d = totals[COIN_COUNTERS.dDebt] ?? 0;
  const ends = new Map<number, [number, number, number]>();
  let i = 0;
  for (const day of [...days].sort((x, y) => y - x)) {
    while (i < later.length && later[i] > day) {
      const m = byDay.get(later[i])!;
      a -= m[COIN_COUNTERS.dAvailable] ?? 0;
      p -= m[COIN_COUNTERS.dPending] ?? 0;
      d -= m[COIN_COUNTERS.dDebt] ?? 0;
      i++;
    }
    ends.set(day, [a, p, d]);
  }
  for (const day of days) {
    const m = byDay.get(day) ?? {};
    const [outstanding, pending, debt] = ends.get(day)!;
    out.push({
      day: dayString(day),
      issued: m.issued ?? 0,
      available: m.available ?? 0,
      revoked: m.revoked ?? 0,
      redeemed: m.redeemed ?? 0,
      reversed: m.reversed ?? 0,
      expired: m.expired ?? 0,
      adjusted: m.adjusted ?? 0,
      outstanding,
      pending,
      debt,
      liabilityFen: (outstanding + pending) * fenPerCoin,
    });
  }
  return out;
}
