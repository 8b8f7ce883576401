// Reassembles the contract's metrics from the summed counters of the day items (deltas.ts); every
// counter name comes from the catalogue (catalogue.ts).
import {
  CHANNEL_RETENTION_OFFSETS,
  channelRetentionOf,
  COUNTER,
  newByChannelOf,
  rangeCellOf,
  retainedOnDayCounter,
  retainedRangeOf,
  RETENTION_DAYS,
  segmentSizeCounter,
  SESSION_BUCKETS,
  sessionBucketCounter,
  tierCounter,
  type ContributionCounter,
  type RangePrefix,
} from './catalogue';
import { dayString } from '../days/days';
import { MEMBER_STATUSES, RFM_CLASSES, type Program } from '../programme/vocabulary';

/** Summed counters of one day item; missing days read as empty. */
export type DayCounters = (day: number) => Map<string, number>;

const get = (counters: Map<string, number>, name: string) => counters.get(name) ?? 0;
/** A contribution counter of the day, by its catalogue name. */
const count = (counters: Map<string, number>, name: ContributionCounter) => get(counters, name);

// A day's counters are parsed once per request, not once per row that reads them: a route over N
// days reads each day's item up to 31 times (rolling windows, cohorts), and parsing every counter
// name each time was most of /metrics/retention's time (#16). Keyed by the day's Map, which the
// caller keeps unchanged while it answers.
type Parsed<T> = WeakMap<Map<string, number>, T>;
function parsedOnce<T>(cache: Parsed<T>, counters: Map<string, number>, parse: () => T): T {
  let out = cache.get(counters);
  if (out === undefined) cache.set(counters, (out = parse()));
  return out;
}

/** A day's range cells of one prefix: [a, b, value]. */
const rangeCells: Record<RangePrefix, Parsed<[number, number, number][]>> = {
  w: new WeakMap(),
  m: new WeakMap(),
  pc: new WeakMap(),
  pv: new WeakMap(),
};
function rangeCellsOf(counters: Map<string, number>, prefix: RangePrefix): [number, number, number][] {
  return parsedOnce(rangeCells[prefix], counters, () => {
    const out: [number, number, number][] = [];
    for (const [name, value] of counters) {
      const cell = rangeCellOf(name, prefix);
      if (cell) out.push([cell[0], cell[1], value]);
    }
    return out;
  });
}

/** A day's `ra<cohort>.<lo>.<hi>` counters by the cohort's text (as `retainedRangeOf` matches it). */
const retainedRanges: Parsed<Map<string, [number, number, number][]>> = new WeakMap();
function retainedRangesOf(counters: Map<string, number>): Map<string, [number, number, number][]> {
  return parsedOnce(retainedRanges, counters, () => {
    const out = new Map<string, [number, number, number][]>();
    for (const [name, value] of counters) {
      const dot = name.indexOf('.');
      if (!name.startsWith('ra') || dot < 0) continue;
      const cohort = name.slice(2, dot);
      const range = retainedRangeOf(name, Number(cohort));
      // Only names whose cohort text is the number's own (`ra020.` is no counter of cohort 20).
      if (!range || String(Number(cohort)) !== cohort) continue;
      let list = out.get(cohort);
      if (!list) out.set(cohort, (list = []));
      list.push([range[0], range[1], value]);
    }
    return out;
  });
}

/** Sum of the range cells (`<prefix><a>.<b>`) of days [x−width+1, x] that cover x. */
function rolling(items: DayCounters, prefix: RangePrefix, x: number, width: number): number {
  let total = 0;
  for (let d = x - width + 1; d <= x; d++) {
    const offset = x - d;
    for (const [a, b, value] of rangeCellsOf(items(d), prefix)) if (a <= offset && offset <= b) total += value;
  }
  return total;
}

export function dailyRow(items: DayCounters, x: number) {
  const today = items(x);
  const yesterday = items(x - 1);
  return {
    day: dayString(x),
    dau: get(today, COUNTER.dau),
    wau: rolling(items, 'w', x, 7),
    mau: rolling(items, 'm', x, 30),
    newMembers: get(today, COUNTER.newMembers),
    visitors: get(today, COUNTER.visitors),
    launches: count(today, 'launches'),
    sessions: count(today, 'sessions'),
    sessionSeconds: count(today, 'sessionSeconds'),
    pageViews: count(today, 'pageViews'),
    orders: count(today, 'orders'),
    revenueCents: count(today, 'revenueCents'),
    payingMembers: count(today, 'payingMembers'),
    lateActivity: count(today, 'lateActivity'),
    lifecycle: {
      new: get(today, COUNTER.newMembers) + get(today, COUNTER.newVisitors),
      returning: get(today, COUNTER.returning) + get(yesterday, COUNTER.returningNext),
      resurrecting: get(today, COUNTER.resurrecting) + get(yesterday, COUNTER.resurrectingNext),
      dormant: get(yesterday, COUNTER.dormantNext) + get(today, COUNTER.dormantSame),
    },
  };
}

export function sessionsRow(items: DayCounters, x: number) {
  const today = items(x);
  const buckets: Record<string, number> = {};
  SESSION_BUCKETS.forEach((label, i) => (buckets[label] = get(today, sessionBucketCounter(i))));
  return { day: dayString(x), buckets };
}

export function cohortRow(items: DayCounters, cohort: number) {
  const onDay = new Array<number>(RETENTION_DAYS + 1).fill(0);
  const onOrAfterDay = new Array<number>(RETENTION_DAYS + 1).fill(0);
  for (let n = 0; n <= RETENTION_DAYS; n++) {
    const counters = items(cohort + n);
    onDay[n] = get(counters, retainedOnDayCounter(cohort));
    for (const [lo, hi, value] of retainedRangesOf(counters).get(String(cohort)) ?? [])
      for (let k = lo; k <= hi; k++) onOrAfterDay[k] += value;
  }
  return { cohort: dayString(cohort), size: get(items(cohort), COUNTER.newMembers), onDay, onOrAfterDay };
}

/** A day's `rc|<channel>|<cohort>` counters by the cohort's text: [channel, value]. */
const channelRetentions: Parsed<Map<string, [string, number][]>> = new WeakMap();
function channelRetentionsOf(counters: Map<string, number>): Map<string, [string, number][]> {
  return parsedOnce(channelRetentions, counters, () => {
    const out = new Map<string, [string, number][]>();
    for (const [name, value] of counters) {
      const cohort = name.slice(name.lastIndexOf('|') + 1);
      const channel = channelRetentionOf(name, Number(cohort));
      if (channel === null || String(Number(cohort)) !== cohort) continue;
      let list = out.get(cohort);
      if (!list) out.set(cohort, (list = []));
      list.push([channel, value]);
    }
    return out;
  });
}

/** Per acquisition channel over cohorts [from, to]: sizes and members active on day 1/7/14/30. */
export function channelRetention(items: DayCounters, from: number, to: number) {
  const byChannel = new Map<string, { channel: string; size: number; d1: number; d7: number; d14: number; d30: number }>();
  const row = (channel: string) => {
    let r = byChannel.get(channel);
    if (!r) byChannel.set(channel, (r = { channel, size: 0, d1: 0, d7: 0, d14: 0, d30: 0 }));
    return r;
  };
  for (let cohort = from; cohort <= to; cohort++) {
    for (const [name, value] of items(cohort)) {
      const channel = newByChannelOf(name);
      if (channel !== null) row(channel).size += value;
    }
    for (const offset of CHANNEL_RETENTION_OFFSETS) {
      for (const [channel, value] of channelRetentionsOf(items(cohort + offset)).get(String(cohort)) ?? []) {
        row(channel)[`d${offset}` as 'd1' | 'd7' | 'd14' | 'd30'] += value;
      }
    }
  }
  return [...byChannel.values()].filter((r) => r.size !== 0 || r.d1 || r.d7 || r.d30).sort((a, b) => a.channel.localeCompare(b.channel));
}

export function winbackRow(items: DayCounters, x: number) {
  const today = items(x);
  return { day: dayString(x), offers: count(today, 'wbOffers'), conversions: count(today, 'wbConversions') };
}

/**
 * The programme at a glance as of a day: the running totals minus what the days after it added.
 * `later` holds the day items of (asOf, today].
 */
/** Persons who purchased in [D−29, D] and the share of them that are members (docs/rules.md#identity). */
export function customersOn(items: DayCounters, asOfDay: number) {
  const customers = rolling(items, 'pc', asOfDay, 30);
  const visitors = rolling(items, 'pv', asOfDay, 30);
  return { customers, memberShareOfCustomers: customers === 0 ? 0 : Math.round(((customers - visitors) / customers) * 10_000) / 10_000 };
}

export function programRow(program: Program, totals: Map<string, number>, later: Map<string, number>[], asOfDay: number) {
  const asOf = (name: string) => get(totals, name) - later.reduce((sum, day) => sum + get(day, name), 0);
  // Erasures leave the running total on their day (privacy/erasure.ts): earlier days still count them.
  const members =
    get(totals, COUNTER.members) - later.reduce((sum, day) => sum + get(day, COUNTER.newMembers) - get(day, COUNTER.erased), 0);
  const byTier = Object.fromEntries(program.tiers.map((t, i) => [t.id, asOf(tierCounter(i))]));
  const byStatus = Object.fromEntries(MEMBER_STATUSES.map((s) => [s, asOf(segmentSizeCounter(`status-${s}`))]));
  const byRfm = Object.fromEntries(RFM_CLASSES.map((c) => [c, asOf(segmentSizeCounter(`rfm-${c}`))]));
  const share = (n: number) => (members === 0 ? 0 : Math.round((n / members) * 10_000) / 10_000);
  return {
    asOf: dayString(asOfDay),
    members,
    byTier,
    byStatus,
    byRfm,
    kpis: {
      importantValueShare: share(byRfm['important-value']),
      importantValueGoal: 0.2,
      churnedShare: share(byStatus.churned),
      churnedGoal: 0.05,
    },
  };
}
