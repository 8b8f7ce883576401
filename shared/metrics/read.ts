// Reassembles the contract's metrics from the summed counters of the day items (metric-deltas.ts).
import { SESSION_BUCKETS } from './contribution';
import { dayString } from '../days/days';
import { CHANNEL_RETENTION_OFFSETS, RETENTION_DAYS } from './deltas';
import { MEMBER_STATUSES, RFM_CLASSES, type Program } from '../programme/vocabulary';

/** Summed counters of one day item; missing days read as empty. */
export type DayCounters = (day: number) => Map<string, number>;

const get = (counters: Map<string, number>, name: string) => counters.get(name) ?? 0;

/** Sum of the range cells (`<prefix><a>.<b>`) of days [x−width+1, x] that cover x. */
function rolling(items: DayCounters, prefix: string, x: number, width: number): number {
  let total = 0;
  for (let d = x - width + 1; d <= x; d++) {
    const offset = x - d;
    for (const [name, value] of items(d)) {
      if (!name.startsWith(prefix) || !/^[wm]\d/.test(name)) continue;
      const [a, b] = name.slice(1).split('.').map(Number);
      if (a <= offset && offset <= b) total += value;
    }
  }
  return total;
}

export function dailyRow(items: DayCounters, x: number) {
  const today = items(x);
  const yesterday = items(x - 1);
  return {
    day: dayString(x),
    dau: get(today, 'dau'),
    wau: rolling(items, 'w', x, 7),
    mau: rolling(items, 'm', x, 30),
    newMembers: get(today, 'new'),
    launches: get(today, 'launches'),
    sessions: get(today, 'sessions'),
    sessionSeconds: get(today, 'sessionSeconds'),
    pageViews: get(today, 'pageViews'),
    orders: get(today, 'orders'),
    revenueCents: get(today, 'revenueCents'),
    payingMembers: get(today, 'payingMembers'),
    lateActivity: get(today, 'lateActivity'),
    lifecycle: {
      new: get(today, 'new'),
      returning: get(today, 'lcRet') + get(yesterday, 'lcRetN'),
      resurrecting: get(today, 'lcRes') + get(yesterday, 'lcResN'),
      dormant: get(yesterday, 'dormN') + get(today, 'dormS'),
    },
  };
}

export function sessionsRow(items: DayCounters, x: number) {
  const today = items(x);
  const buckets: Record<string, number> = {};
  SESSION_BUCKETS.forEach((label, i) => (buckets[label] = get(today, `b${i}`)));
  return { day: dayString(x), buckets };
}

export function cohortRow(items: DayCounters, cohort: number) {
  const onDay = new Array<number>(RETENTION_DAYS + 1).fill(0);
  const onOrAfterDay = new Array<number>(RETENTION_DAYS + 1).fill(0);
  const rangePrefix = `ra${cohort}.`;
  for (let n = 0; n <= RETENTION_DAYS; n++) {
    const counters = items(cohort + n);
    onDay[n] = get(counters, `rd${cohort}`);
    for (const [name, value] of counters) {
      if (!name.startsWith(rangePrefix)) continue;
      const [lo, hi] = name.slice(rangePrefix.length).split('.').map(Number);
      for (let k = lo; k <= hi; k++) onOrAfterDay[k] += value;
    }
  }
  return { cohort: dayString(cohort), size: get(items(cohort), 'new'), onDay, onOrAfterDay };
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
    for (const [name, value] of items(cohort)) if (name.startsWith('nc|')) row(name.slice(3)).size += value;
    for (const offset of CHANNEL_RETENTION_OFFSETS) {
      const suffix = `|${cohort}`;
      for (const [name, value] of items(cohort + offset)) {
        if (!name.startsWith('rc|') || !name.endsWith(suffix)) continue;
        const r = row(name.slice(3, name.length - suffix.length));
        r[`d${offset}` as 'd1' | 'd7' | 'd14' | 'd30'] += value;
      }
    }
  }
  return [...byChannel.values()].filter((r) => r.size !== 0 || r.d1 || r.d7 || r.d30).sort((a, b) => a.channel.localeCompare(b.channel));
}

export function winbackRow(items: DayCounters, x: number) {
  const today = items(x);
  return { day: dayString(x), offers: get(today, 'wbOffers'), conversions: get(today, 'wbConversions') };
}

/**
 * The programme at a glance as of a day: the running totals minus what the days after it added.
 * `later` holds the day items of (asOf, today].
 */
export function programRow(program: Program, totals: Map<string, number>, later: Map<string, number>[], asOfDay: number) {
  const asOf = (name: string) => get(totals, name) - later.reduce((sum, day) => sum + get(day, name), 0);
  const members = get(totals, 'members') - later.reduce((sum, day) => sum + get(day, 'new'), 0);
  const byTier = Object.fromEntries(program.tiers.map((t, i) => [t.id, asOf(`tier${i}`)]));
  const byStatus = Object.fromEntries(MEMBER_STATUSES.map((s) => [s, asOf(`seg|status-${s}`)]));
  const byRfm = Object.fromEntries(RFM_CLASSES.map((c) => [c, asOf(`seg|rfm-${c}`)]));
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
