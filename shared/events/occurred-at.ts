// `occurredAt` (docs/events.md#behaviour-events): an ISO-8601 timestamp with `Z` or an offset, in
// every form ISO-8601 gives one (#19 item 14): offset `+08:00`, `+0800` or `+08`; seconds and
// fractions optional. One parser for the decoder, the import and every reader of `at`, so
// `Date.parse`'s leniency (it reads `+0800` but not `+08`) never decides what a record means.

const FORM = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;
/** The widest offset accepted (as java.time: real zones span −12:00…+14:00). */
const MAX_OFFSET_MINUTES = 18 * 60;

export type OccurredAt = { ok: true; ms: number } | { ok: false; message: string };

const EXAMPLE = 'e.g. 2026-11-10T10:00:00+08:00';

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Two ASCII digits at `i` as a number, or -1. */
function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * The form producers send (`2026-10-01T16:15:30Z`, `…30.123+08:00`: seconds, no fraction or three
 * digits, `Z` or `±HH:MM`), read by character codes without the regular expression (it ran for
 * every record: #16). Anything else, and any value out of range, is left to the full parser, which
 * gives the same figure for what this reads (test/unit/occurred-at.test.ts holds them to it).
 */
function commonForm(v: string): number | undefined {
  const n = v.length;
  if (n < 20 || v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 || v.charCodeAt(10) !== 84) return undefined;
  if (v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58) return undefined;
  const hi = twoDigits(v, 0);
  const lo = twoDigits(v, 2);
  const mo = twoDigits(v, 5);
  const d = twoDigits(v, 8);
  const h = twoDigits(v, 11);
  const mi = twoDigits(v, 14);
  const s = twoDigits(v, 17);
  if (hi < 1 || lo < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) return undefined;
  const y = hi * 100 + lo;
  if (d > daysInMonth(y, mo)) return undefined;
  let at = 19;
  let fraction = 0;
  if (v.charCodeAt(at) === 46) {
    const f = twoDigits(v, 20);
    const last = v.charCodeAt(22) - 48;
    if (f < 0 || last < 0 || last > 9) return undefined;
    fraction = f * 10 + last;
    at = 23;
  }
  let offsetMinutes = 0;
  const zone = v.charCodeAt(at);
  if (zone === 90) {
    if (n !== at + 1) return undefined;
  } else if (zone === 43 || zone === 45) {
    if (n !== at + 6 || v.charCodeAt(at + 3) !== 58) return undefined;
    const oh = twoDigits(v, at + 1);
    const om = twoDigits(v, at + 4);
    if (oh < 0 || om < 0 || om > 59) return undefined;
    offsetMinutes = (zone === 45 ? -1 : 1) * (oh * 60 + om);
    if (Math.abs(offsetMinutes) > MAX_OFFSET_MINUTES) return undefined;
  } else return undefined;
  return instantMs(y, mo, d, h, mi, s, fraction, offsetMinutes);
}

/** Epoch ms of an occurredAt, or why it is not one (a message for `occurredAt: …`). */
export function parseOccurredAt(value: string): OccurredAt {
  const common = commonForm(value);
  return common === undefined ? parseAnyForm(value) : { ok: true, ms: common };
}

/** The full parser, every form; exported for the test that holds the fast path to it. */
export function parseAnyForm(value: string): OccurredAt {
  const m = FORM.exec(value);
  if (!m) {
    const hint = /^\d{4}-\d{2}-\d{2}[ t]/.test(value) ? ' (date and time are joined by "T")' : '';
    return { ok: false, message: `must be an ISO-8601 timestamp with Z or an offset${hint}, ${EXAMPLE}` };
  }
  const [, ys, mos, ds, hs, mis, ss, frac, zone] = m;
  if (zone === undefined) return { ok: false, message: `needs Z or an offset such as +08:00: a local time names no instant (${EXAMPLE})` };
  // (No array of the parts: this runs for every record.)
  const y = Number(ys);
  const mo = Number(mos);
  const d = Number(ds);
  const h = Number(hs);
  const mi = Number(mis);
  const s = ss === undefined ? 0 : Number(ss);
  if (mo < 1 || mo > 12) return { ok: false, message: `month ${mos} is not 01–12` };
  if (d < 1 || d > daysInMonth(y, mo)) return { ok: false, message: `${ys}-${mos} has no day ${ds}` };
  if (h > 23) return { ok: false, message: `hour ${hs} is not 00–23` };
  if (mi > 59) return { ok: false, message: `minute ${mis} is not 00–59` };
  if (s > 59) return { ok: false, message: `second ${ss} is not 00–59` };
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (om > 59) return { ok: false, message: `offset ${zone}: minutes are not 00–59` };
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
    if (Math.abs(offsetMinutes) > MAX_OFFSET_MINUTES) return { ok: false, message: `offset ${zone} is beyond ±18:00` };
  }
  const fraction = frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0;
  return { ok: true, ms: instantMs(y, mo, d, h, mi, s, fraction, offsetMinutes) };
}

/** Epoch ms of a checked calendar date and time at an offset (both parsers end here). */
function instantMs(y: number, mo: number, d: number, h: number, mi: number, s: number, fraction: number, offsetMinutes: number): number {
  // Date.UTC reads years 0–99 as 1900–1999: those take the slower, literal way.
  if (y >= 100) return Date.UTC(y, mo - 1, d, h, mi, s, fraction) - offsetMinutes * 60_000;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, fraction);
  return date.getTime() - offsetMinutes * 60_000;
}
