// The member item's small numbers (joined day, active days, lifetime points, tier and its days,
// the days of its last notice, segments and coin booking, the debt) in one binary attribute `nm`,
// rather than an attribute each. Each attribute spent its name and a DynamoDB number (a length
// byte and two digits a byte) on values of a few digits: about 70 bytes on a member above the base
// tier; here they are zigzag LEB128 varints behind a bitmask of the fields present, the days as
// distances from the joined day: about 25. With the eventId ring the contract fixes at 64 ids and
// the coin lots, these bytes were what kept a heavy buyer's item over 1 KB (a second write unit
// per write): on the bench's workload (`npm run bench`), 297 of 16,357 member writes, 153 with
// the numbers packed. The version `v` (every write's condition) and the TierReviewIndex keys
// (`rvb`, `rv`) stay attributes. Items written before `nm` hold the attributes, read as they are.

import { unzigzag, varint, varintReader, zigzag } from './varint';

/** The numbers as the item's attributes named them (member-item.ts). */
export interface MemberNumbers {
  j: number;
  ad: number;
  lp: number;
  t: number;
  ts?: number;
  tr?: number;
  tb?: number;
  tbs?: number;
  tbr?: number;
  ar?: number;
  so?: number;
  la?: number;
  ca?: number;
  cd?: number;
}

// The stored order: a new field goes at the end (its bit is clear on items written before it).
export const NUMBER_FIELDS = ['j', 'ad', 'lp', 't', 'ts', 'tr', 'tb', 'tbs', 'tbr', 'ar', 'so', 'la', 'ca', 'cd'] as const;
/** Day numbers: stored as their distance from the joined day (a few hundred, where a day is 20,000 and more). */
const DAYS: ReadonlySet<string> = new Set(['ts', 'tr', 'tbs', 'tbr', 'ar', 'so', 'la', 'ca']);
/** Zigzag doubles a value: beyond this it would pass the safe integers. */
const LIMIT = 2 ** 51;

/** `nm` for the numbers, or null when one is not a safe integer this form holds (kept as attributes then). */
export function encodeNumbers(n: MemberNumbers): Uint8Array | null {
  const out: number[] = [];
  let mask = 0;
  const values: number[] = [];
  for (const [i, f] of NUMBER_FIELDS.entries()) {
    const value = n[f];
    if (value === undefined) continue;
    const stored = DAYS.has(f) ? value - n.j : value;
    if (!Number.isInteger(stored) || Math.abs(stored) >= LIMIT) return null;
    mask += 2 ** i;
    values.push(stored);
  }
  varint(out, mask);
  for (const v of values) varint(out, zigzag(v));
  return Uint8Array.from(out);
}

export function decodeNumbers(bytes: Uint8Array): MemberNumbers {
  const reader = varintReader(bytes, 'member numbers');
  const mask = reader.next();
  const out: Record<string, number> = {};
  for (const [i, f] of NUMBER_FIELDS.entries()) if (Math.floor(mask / 2 ** i) % 2 === 1) out[f] = unzigzag(reader.next());
  for (const f of DAYS) if (out[f] !== undefined) out[f] += out.j;
  return out as unknown as MemberNumbers;
}
