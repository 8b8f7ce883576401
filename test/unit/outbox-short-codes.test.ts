// The counter outbox's short codes are a stored format (functions/adapters/coin-outbox-codec.ts):
// every member item written since holds `_<n>` for the n-th name of the list and the coin
// counters by their letters, so the list may only ever be appended to. This pins what is stored
// today: a reorder, a removal or a renamed entry re-codes (or misreads) items already written and
// fails here; a name appended after the last one passes.
import { describe, expect, it } from 'vitest';
import { compactCounts, parseCounts } from '../../functions/adapters/coin-outbox-codec';
import { COIN_COUNTERS, LEGACY_COIN_TOTALS_KEY } from '../../shared/coins/outbox';

/** The day-counter names in the order their codes `_0`, `_1`, … were given. Never edit: append. */
const STORED_SHORT_NAMES = [
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
];

/** The coin counters' letters as stored. Never edit: append. */
const STORED_LETTERS: Record<string, string> = {
  issued: 'i',
  available: 'a',
  revoked: 'r',
  redeemed: 'd',
  reversed: 'v',
  expired: 'e',
  adjusted: 'j',
  dA: 'A',
  dP: 'P',
  dD: 'D',
};

describe('the counter outbox codes (stored format: append only)', () => {
  it.each(STORED_SHORT_NAMES.map((name, i) => [name, i] as const))(
    'day-counter name %s is still written and read as _%s (base 36)',
    (name, i) => {
      const code = `_${i.toString(36)}`;
      expect(compactCounts({ 'd#20394': { [name]: 3 } })).toBe(`d20394:${code}=3`);
      expect(compactCounts({ totals: { [name]: -1 } })).toBe(`t:${code}=-1`);
      expect(parseCounts(`d20394:${code}=3`)).toEqual({ 'd#20394': { [name]: 3 } });
    },
  );

  it('a name after the pinned list codes after it, or is written plainly', () => {
    // Whatever is appended later takes the next code; a name not in the list is spelt out.
    expect(compactCounts({ 'd#1': { notAShortName: 2 } })).toBe('d1:notAShortName=2');
    expect(parseCounts('d1:notAShortName=2')).toEqual({ 'd#1': { notAShortName: 2 } });
  });

  it('the coin counters keep their letters', () => {
    expect(Object.keys(STORED_LETTERS).sort()).toEqual(Object.values(COIN_COUNTERS).sort());
    for (const [name, letter] of Object.entries(STORED_LETTERS)) {
      expect(compactCounts({ [LEGACY_COIN_TOTALS_KEY]: { [name]: 7 } })).toBe(`*:${letter}7`);
      expect(parseCounts(`*:${letter}7`)).toEqual({ [LEGACY_COIN_TOTALS_KEY]: { [name]: 7 } });
    }
  });
});
