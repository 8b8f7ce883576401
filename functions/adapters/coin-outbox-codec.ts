// The member item's counter outbox (`cx`, shared/coins/outbox.ts: the day and coin counts of the
// write, added to the counters after it) in a compact text form: it rides on every consumer write
// of a member, and a member item over 1 KB bills a second write unit (twice that in a transaction). The JSON form spelt out the shard, a 56-digit
// sequence number the item already holds (`hs`/`hq`), counter keys and names, and each move's id
// and ref (both derived from the lot); this form keeps only what cannot be derived:
//
//   <position>|<key>:<counts>;…|<move>,…[|h]
//
// position: empty when it is the member's own high-water mark, else `<shardId> <seq>`; key: the day
// number of a legacy coin day item `cd#<day>`, `*` for `cd#all`, `d<n>` for the day item `d#<n>`
// (which holds the coin day counts too), `t` for `totals`; counts
// of a coin key: a letter per counter and its signed integer (`a17A17P-17`); of a day or totals key:
// `<name>=<n>` joined by `,` (`|` in a name as `!`), the frequent names as `_<code>` ({@link SHORT}, `_0=2,w0.6=1`), a coin counter of an earlier
// day (`<counter>@<day>`) as its code and how many days before the item's it is (`_o@3=17`); move: the kind's letter, day, lot number in base 36 and coins (`a20747.2jt2svbz87.17`),
// or, for a lot made available that the item still holds, `A`, the lot's place among the item's lots in base 36 and coins (`A3.17`: a lot number does not compress);
// `|h`: the moves are held on the member (not filed after the write).
// Anything the form cannot express is stored as JSON (read back by its leading `{`), as are items
// written before it.
import { dayNumber, dayString } from '../../shared/days/days';
import {
  COIN_COUNTERS,
  COIN_DAY_PREFIX,
  LEGACY_COIN_TOTALS_KEY,
  pastDayName,
  splitPastDayName,
  type BookedMove,
  type CoinCounts,
  type CoinOutbox,
} from '../../shared/coins/outbox';
import { lotId, type CoinLot } from '../../shared/coins/lots';
import { TOTALS_KEY } from '../../shared/keys/metrics-keys';

const LETTER: Record<string, string> = {
  [COIN_COUNTERS.issued]: 'i',
  [COIN_COUNTERS.available]: 'a',
  [COIN_COUNTERS.revoked]: 'r',
  [COIN_COUNTERS.redeemed]: 'd',
  [COIN_COUNTERS.reversed]: 'v',
  [COIN_COUNTERS.expired]: 'e',
  [COIN_COUNTERS.adjusted]: 'j',
  [COIN_COUNTERS.dAvailable]: 'A',
  [COIN_COUNTERS.dPending]: 'P',
  [COIN_COUNTERS.dDebt]: 'D',
};
const NAME = Object.fromEntries(Object.entries(LETTER).map(([name, letter]) => [letter, name]));
const MOVE_KINDS: Record<string, 'available' | 'expire'> = { a: 'available', e: 'expire' };
const DAY_KEY = /^cd#\d{4}-\d{2}-\d{2}$/;
/** Short codes of frequent day-counter names, `_` + the index in base 36. Stored: only ever append. */
const SHORT = [
  'launches',
  'sessions',
  'sessionSeconds',
  'pageViews',
  'orders',
  'revenueCents',
  'payingMembers',
  'lateActivity',
  'wbOffers',
  'wbConversions',
  'members',
  'new',
  'dau',
  'vis',
  'nv',
  'lcRet',
  'lcRes',
  'lcRetN',
  'lcResN',
  'dormN',
  'dormS',
  'erased',
  // The coin counters, since the coin day counts joined the day items (`d#<day>`).
  COIN_COUNTERS.issued,
  COIN_COUNTERS.available,
  COIN_COUNTERS.revoked,
  COIN_COUNTERS.redeemed,
  COIN_COUNTERS.reversed,
  COIN_COUNTERS.expired,
  COIN_COUNTERS.adjusted,
  COIN_COUNTERS.dAvailable,
  COIN_COUNTERS.dPending,
  COIN_COUNTERS.dDebt,
];
const SHORT_CODE = new Map(SHORT.map((name, i) => [name, `_${i.toString(36)}`]));
/** A day-counter name the pair form can hold (no separator, no leading `_`; its `|` written as `!`). */
const PLAIN_NAME = /^[^_=,;:!\s][^=,;:!\s]*$/;
const COUNTER_KEY = /^d#-?\d{1,7}$/;

type Position = { shardId: string; seq: string } | null;

function compactKey(key: string): string | null {
  if (key === LEGACY_COIN_TOTALS_KEY) return '*';
  if (key === TOTALS_KEY) return 't';
  if (COUNTER_KEY.test(key)) return `d${key.slice(2)}`;
  if (!DAY_KEY.test(key)) return null;
  const day = dayNumber(key.slice(COIN_DAY_PREFIX.length));
  return Number.isSafeInteger(day) && dayString(day) === key.slice(COIN_DAY_PREFIX.length) ? String(day) : null;
}

/** Counts as `<key>:<letter><n>…;…`, or null when they hold a key or counter the form cannot express. */
export function compactCounts(counts: CoinCounts): string | null {
  const parts: string[] = [];
  for (const [key, item] of Object.entries(counts)) {
    const k = compactKey(key);
    if (k === null) return null;
    let text = `${k}:`;
    if (k === 't' || k.startsWith('d')) {
      const pairs: string[] = [];
      const keyDay = k === 't' ? null : Number(k.slice(1));
      for (const [name, n] of Object.entries(item)) {
        const code = SHORT_CODE.get(name) ?? pastDayCode(name, keyDay) ?? (PLAIN_NAME.test(name) ? name.replaceAll('|', '!') : null);
        if (code === null || !Number.isSafeInteger(n)) return null;
        pairs.push(`${code}=${n}`);
      }
      parts.push(text + pairs.join(','));
      continue;
    }
    for (const [name, n] of Object.entries(item)) {
      if (!LETTER[name] || !Number.isSafeInteger(n)) return null;
      text += `${LETTER[name]}${n}`;
    }
    parts.push(text);
  }
  return parts.join(';');
}

/**
 * A counter of an earlier day in a day item (`<counter>@<day>`: shared/coins/outbox.ts) as its
 * short code and the days before the item's own (`_o@3`), or null.
 */
function pastDayCode(name: string, keyDay: number | null): string | null {
  const past = keyDay === null ? null : splitPastDayName(name);
  const code = past && SHORT_CODE.get(past.counter);
  return code && past.day < keyDay! ? `${code}@${keyDay! - past.day}` : null;
}

/** The counter name of a short code, with its day when it is one of an earlier day's (`_o@3` in `d20749`). */
function shortName(code: string, key: string): string {
  const at = code.indexOf('@');
  if (at < 0) return SHORT[parseInt(code.slice(1), 36)];
  return pastDayName(SHORT[parseInt(code.slice(1, at), 36)], Number(key.slice(1)) - Number(code.slice(at + 1)));
}

function compactMove(m: BookedMove, lots: readonly CoinLot[]): string | null {
  if ((m.kind !== 'available' && m.kind !== 'expire') || m.lot === null || !Number.isSafeInteger(m.lot) || m.lot < 0) return null;
  const ref = lotId(m.lot);
  if (m.id !== `${m.kind}:${ref}` || m.ref !== ref || !Number.isSafeInteger(m.day) || !Number.isSafeInteger(m.coins)) return null;
  // A lot made available and still on the item: its place there gives its number and day.
  const at = m.kind === 'available' ? lots.findIndex((l) => l.seq === m.lot && l.availableOn === m.day) : -1;
  if (at >= 0) return `A${at.toString(36)}.${m.coins}`;
  return `${m.kind[0]}${m.day}.${m.lot.toString(36)}.${m.coins}`;
}

/**
 * The outbox as stored; `at` is the member's high-water mark the item holds besides, `lots` the
 * coin lots it holds besides, in their stored order.
 */
export function encodeCoinOutbox(out: CoinOutbox, at: Position, lots: readonly CoinLot[] = []): string {
  const json = () => JSON.stringify(out);
  const position = at && at.shardId === out.shardId && at.seq === out.seq ? '' : `${out.shardId} ${out.seq}`;
  if (/[|\s]/.test(out.shardId) || /[|\s]/.test(out.seq)) return json();
  const counts = compactCounts(out.counts);
  if (counts === null) return json();
  const moves = (out.moves ?? []).map((m) => compactMove(m, lots));
  if (moves.some((m) => m === null)) return json();
  return `${position}|${counts}|${moves.join(',')}${out.held ? '|h' : ''}`;
}

/** A stored move of a lot: its id and ref are the lot's (compactMove stores no other). */
function lotMove(kind: 'available' | 'expire', day: number, lot: number, coins: number): BookedMove {
  const ref = lotId(lot);
  return { id: `${kind}:${ref}`, day, kind, coins, lot, ref };
}

export function decodeCoinOutbox(text: string, at: Position, lots: readonly CoinLot[] = []): CoinOutbox {
  if (text.startsWith('{')) return JSON.parse(text) as CoinOutbox;
  const [position, countsText, movesText, flags] = text.split('|');
  let shardId: string;
  let seq: string;
  if (position) [shardId, seq] = position.split(' ');
  else {
    if (!at) throw new Error('coin outbox: stored at the high-water mark, but the item has none');
    ({ shardId, seq } = at);
  }
  const counts = parseCounts(countsText);
  const out: CoinOutbox = { shardId, seq, counts };
  if (movesText) {
    out.moves = movesText.split(',').map((m) => {
      if (m[0] === 'A') {
        const [head, coins] = m.split('.');
        const lot = lots[parseInt(head.slice(1), 36)];
        if (!lot) throw new Error(`coin outbox: a move names lot ${head.slice(1)} of the item's ${lots.length}`);
        return lotMove('available', lot.availableOn, lot.seq, Number(coins));
      }
      const [head, lot36, coins] = m.split('.');
      const kind = MOVE_KINDS[head[0]];
      return lotMove(kind, Number(head.slice(1)), parseInt(lot36, 36), Number(coins));
    });
  }
  if (flags === 'h') out.held = true;
  return out;
}

export function parseCounts(text: string): CoinCounts {
  const counts: CoinCounts = {};
  for (const part of text ? text.split(';') : []) {
    const colon = part.indexOf(':');
    const k = part.slice(0, colon);
    const item: Record<string, number> = {};
    if (k === 't' || k.startsWith('d')) {
      for (const pair of part.slice(colon + 1).split(',')) {
        if (!pair) continue;
        const eq = pair.lastIndexOf('=');
        const name = pair.slice(0, eq);
        item[name.startsWith('_') ? shortName(name, k) : name.replaceAll('!', '|')] = Number(pair.slice(eq + 1));
      }
      counts[k === 't' ? TOTALS_KEY : `d#${k.slice(1)}`] = item;
      continue;
    }
    const key = k === '*' ? LEGACY_COIN_TOTALS_KEY : `${COIN_DAY_PREFIX}${dayString(Number(k))}`;
    for (const [, letter, n] of part.slice(colon + 1).matchAll(/([A-Za-z])(-?\d+)/g)) item[NAME[letter]] = Number(n);
    counts[key] = item;
  }
  return counts;
}
