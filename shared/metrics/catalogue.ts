// The counter catalogue: every counter the consumer writes into a MetricsTable item (`z`) and the
// read side sums. Deltas (deltas.ts, contribution.ts), reads (read.ts) and the stored-counter table
// in docs/metrics.md all derive from here. The names are stored (keys of the encoded counters): never rename one.

/**
 * Where a counter lives: day items (`d#<day>`), the `totals` item, or both; the coin counters'
 * running sums live in the coin totals item (`cd#all`) too. (Coin day counts written before they
 * joined the day items are in legacy coin day items `cd#<YYYY-MM-DD>`: read, never written anew.)
 */
export type CounterItemKind = 'day' | 'totals' | 'day+totals';

export interface CounterSpec {
  /** The stored name, or its pattern with `<…>` placeholders. */
  name: string;
  item: CounterItemKind;
  doc: string;
}

/**
 * The per-day event counts one member's records contribute in one batch (the contribution row),
 * in row order: the row index of a counter is its position here.
 */
export const CONTRIBUTION_COUNTERS = [
  'launches',
  'sessions',
  'sessionSeconds',
  'pageViews',
  'orders',
  'revenueCents',
  'payingMembers',
  'lateActivity',
  'b0',
  'b1',
  'b2',
  'b3',
  'b4',
  'b5',
  'wbOffers',
  'wbConversions',
] as const;
export type ContributionCounter = (typeof CONTRIBUTION_COUNTERS)[number];
export const CONTRIBUTION_WIDTH = CONTRIBUTION_COUNTERS.length;

/** Row index of each contribution counter. */
export const C = Object.freeze(Object.fromEntries(CONTRIBUTION_COUNTERS.map((name, i) => [name, i]))) as {
  readonly [K in ContributionCounter]: number;
};

/** Labels of the pages-per-session buckets `b0`…`b5` (GET /metrics/sessions). */
export const SESSION_BUCKETS = ['1-2', '3-5', '6-9', '10-29', '30-50', '51+'] as const;
export const sessionBucketCounter = (bucket: number) => `b${bucket}` as ContributionCounter;

/** Fixed-name counters outside the contribution row. */
export const COUNTER = {
  members: 'members',
  newMembers: 'new',
  /** Members erased on the day (docs/api.md#privacy-erasure-and-subject-access): they leave `members` in the totals that day. */
  erased: 'erased',
  dau: 'dau',
  /** Active on the day and the day before (not joined on it). */
  returning: 'lcRet',
  /** Active on the day, not the day before (not joined on it). */
  resurrecting: 'lcRes',
  /** Correction to the next day's returning/resurrecting once this day became active. */
  returningNext: 'lcRetN',
  resurrectingNext: 'lcResN',
  /** Dormant on the next day (active on this day, not the next); corrected by `dormS`. */
  dormantNext: 'dormN',
  dormantSame: 'dormS',
  /** Visitors (anonymous ids not linked to a member) active on the day (docs/rules.md#identity). */
  visitors: 'vis',
  /** Visitors first seen on the day: lifecycle `new` besides the members who joined. */
  newVisitors: 'nv',
} as const;

/** Retention is kept for offsets 0…30 from the cohort day. */
export const RETENTION_DAYS = 30;
/** Offsets with a per-channel retention counter. */
export const CHANNEL_RETENTION_OFFSETS = [1, 7, 14, 30];
/** The channel of a member without an acquisition channel. */
export const UNKNOWN_CHANNEL = 'unknown';

// Parameterised counters: each pattern has its name builder and, where the read side needs one,
// its parser, side by side.

export const tierCounter = (tierIndex: number) => `tier${tierIndex}`;
export const segmentSizeCounter = (segmentId: string) => `seg|${segmentId}`;

const NEW_BY_CHANNEL = 'nc|';
export const newByChannelCounter = (channel: string) => `${NEW_BY_CHANNEL}${channel}`;
/** The channel of an `nc|<channel>` counter, or null. */
export const newByChannelOf = (name: string): string | null => (name.startsWith(NEW_BY_CHANNEL) ? name.slice(NEW_BY_CHANNEL.length) : null);

const CHANNEL_RETENTION = 'rc|';
export const channelRetentionCounter = (channel: string, cohort: number) => `${CHANNEL_RETENTION}${channel}|${cohort}`;
/** The channel of an `rc|<channel>|<cohort>` counter of that cohort, or null. */
export function channelRetentionOf(name: string, cohort: number): string | null {
  const suffix = `|${cohort}`;
  if (!name.startsWith(CHANNEL_RETENTION) || !name.endsWith(suffix)) return null;
  return name.slice(CHANNEL_RETENTION.length, name.length - suffix.length);
}

export const retainedOnDayCounter = (cohort: number) => `rd${cohort}`;

export const retainedRangeCounter = (cohort: number, lo: number, hi: number) => `ra${cohort}.${lo}.${hi}`;
/** The offsets [lo, hi] of an `ra<cohort>.<lo>.<hi>` counter of that cohort, or null. */
export function retainedRangeOf(name: string, cohort: number): [lo: number, hi: number] | null {
  const prefix = `ra${cohort}.`;
  if (!name.startsWith(prefix)) return null;
  const [lo, hi] = name.slice(prefix.length).split('.').map(Number);
  return [lo, hi];
}

/**
 * Rolling-window range cells: `w` (7 days, WAU) and `m` (30 days, MAU) over active days; `pc` (30
 * days) over the purchase days of every person and `pv` over those of visitors (customers and the
 * members' share of them, docs/rules.md#identity).
 */
export type RangePrefix = 'w' | 'm' | 'pc' | 'pv';
export const rangeCellCounter = (prefix: RangePrefix, a: number, b: number) => `${prefix}${a}.${b}`;
/** The offsets [a, b] of a `<prefix><a>.<b>` range cell, or null. */
export function rangeCellOf(name: string, prefix: RangePrefix): [a: number, b: number] | null {
  if (!name.startsWith(prefix) || !/^\d/.test(name.slice(prefix.length))) return null;
  const [a, b] = name.slice(prefix.length).split('.').map(Number);
  return [a, b];
}

/**
 * Coin counters (docs/rules.md#coins). The consumer adds them after its member write (from the write's
 * outbox, shared/coins/outbox.ts); the API adds its own in the transaction of its member write,
 * in items with sk `api#<n>`.
 */
export const COIN_COUNTERS = {
  issued: 'issued',
  available: 'available',
  revoked: 'revoked',
  redeemed: 'redeemed',
  reversed: 'reversed',
  expired: 'expired',
  adjusted: 'adjusted',
  dAvailable: 'dA',
  dPending: 'dP',
  dDebt: 'dD',
} as const;

/** Every counter, for docs/metrics.md (a test keeps that table equal to this list). */
export const COUNTER_CATALOGUE: readonly CounterSpec[] = [
  { name: 'members', item: 'totals', doc: 'members ever created, less the erased' },
  { name: 'new', item: 'day', doc: 'members who joined on the day' },
  { name: 'erased', item: 'day', doc: 'members erased on the day (they leave the totals that day)' },
  { name: 'dau', item: 'day', doc: 'persons (members and visitors) active on the day' },
  { name: 'vis', item: 'day', doc: 'visitors (anonymous ids not linked to a member) active on the day' },
  { name: 'nv', item: 'day', doc: 'visitors first seen on the day (lifecycle new)' },
  { name: 'lcRet', item: 'day', doc: 'returning on the day, as far as the day itself knows' },
  { name: 'lcRes', item: 'day', doc: 'resurrecting on the day, as far as the day itself knows' },
  { name: 'lcRetN', item: 'day', doc: "correction to the next day's returning" },
  { name: 'lcResN', item: 'day', doc: "correction to the next day's resurrecting" },
  { name: 'dormN', item: 'day', doc: 'dormant on the next day' },
  { name: 'dormS', item: 'day', doc: "correction to the day's dormant" },
  { name: 'launches', item: 'day', doc: 'app_open events' },
  { name: 'sessions', item: 'day', doc: 'session_end events' },
  { name: 'sessionSeconds', item: 'day', doc: 'sum of session durationSeconds' },
  { name: 'pageViews', item: 'day', doc: 'page_view events' },
  { name: 'orders', item: 'day', doc: 'applied purchases' },
  { name: 'revenueCents', item: 'day', doc: 'line amounts of applied purchases' },
  { name: 'payingMembers', item: 'day', doc: 'members with an applied purchase' },
  { name: 'lateActivity', item: 'day', doc: 'late events' },
  { name: 'b<0..5>', item: 'day', doc: `sessions by pages per session (${SESSION_BUCKETS.join(', ')})` },
  { name: 'wbOffers', item: 'day', doc: 'win-back offers sent for the day' },
  { name: 'wbConversions', item: 'day', doc: 'win-back offers of the day converted' },
  { name: 'tier<index>', item: 'day+totals', doc: 'members in the tier (day items: the change booked that day)' },
  { name: 'seg|<segmentId>', item: 'day+totals', doc: 'segment size (day items: the change booked that day)' },
  {
    name: 'nc|<channel>',
    item: 'day',
    doc: `members who joined on the day by acquisition channel (\`${UNKNOWN_CHANNEL}\` without one, \`other\` for one the programme does not list)`,
  },
  {
    name: 'rc|<channel>|<cohort>',
    item: 'day',
    doc: `cohort members by channel active on the day, for offsets ${CHANNEL_RETENTION_OFFSETS.join('/')}`,
  },
  { name: 'rd<cohort>', item: 'day', doc: `cohort members active on the day (offsets 0…${RETENTION_DAYS})` },
  { name: 'ra<cohort>.<lo>.<hi>', item: 'day', doc: 'cohort members whose latest active day now covers offsets lo…hi' },
  { name: 'w<a>.<b>', item: 'day', doc: 'members newly counted in the WAU of days day+a…day+b' },
  { name: 'm<a>.<b>', item: 'day', doc: 'members newly counted in the MAU of days day+a…day+b' },
  { name: 'pc<a>.<b>', item: 'day', doc: 'persons newly counted as customers (a purchase in the 30 days) of days day+a…day+b' },
  { name: 'pv<a>.<b>', item: 'day', doc: 'visitors newly counted as customers of days day+a…day+b' },
  { name: 'issued', item: 'day', doc: 'coins earned by purchases booked on the day' },
  { name: 'available', item: 'day', doc: 'coins whose lot became available on the day' },
  { name: 'revoked', item: 'day', doc: 'coins revoked by refunds (from lots or as debt)' },
  { name: 'redeemed', item: 'day', doc: 'coins redeemed (API)' },
  { name: 'reversed', item: 'day', doc: 'coins put back by redemption reversals (API)' },
  { name: 'expired', item: 'day', doc: 'coins expired' },
  { name: 'adjusted', item: 'day', doc: 'net coins of operator adjustments (API)' },
  { name: 'dA', item: 'day+totals', doc: 'change of the available (outstanding) coins' },
  { name: 'dP', item: 'day+totals', doc: 'change of the pending coins' },
  { name: 'dD', item: 'day+totals', doc: 'change of the coin debt' },
  {
    name: '<coin counter>@<day>',
    item: 'day',
    doc: 'a coin counter above of an earlier day, added to the day of the write that booked it (a lot made available by a later event); read as that day’s',
  },
];
