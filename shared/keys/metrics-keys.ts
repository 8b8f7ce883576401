// MetricsTable (pk `pk`, sk `sk`): the keys of every item kind it holds, the one place that knows
// them. The counters inside a counter item are in metrics/catalogue.ts.
//
// Counter items are kept per (counter key, source): the source is the source shard of the batch
// that wrote it, or `api#<n>` for the API's coin operations. A counter key (`totals`, `d#<day>`,
// `cd#<YYYY-MM-DD>`, `cd#all`) is a logical name; `counterItemKey` places it in the table. Day
// families live in ONE partition each with the day leading the sort key (`d` / `<day>#<source>`),
// so a span of days is one Query (`sk BETWEEN`), however many days and sources it covers.

/** Running totals (members, tiers, segment sizes): partition `totals`, sk = source. */
export const TOTALS_KEY = 'totals';

/**
 * A day's counters (`d#<day number>`): partition `d`, sk = `<day number + 1,000,000, 7 digits>#<source>`
 * (offset so that days before 1970 sort too: 2026-11-02, day 20394, is `1020394`).
 */
export const dayKey = (day: number) => `d#${day}`;

/**
 * A shard's batch progress (`bp`, sk = shard; shared/batch/batch-progress.ts): the members the
 * running attempt may write, until its counters are added. Read and written as a counter item.
 */
export const BATCH_PROGRESS_KEY = 'bp';

/**
 * Legacy coin day items (`cd#<YYYY-MM-DD>`): partition `cd`, sk = `<YYYY-MM-DD>#<source>`. Coin
 * movements are now counted in the day items (`d#<day>`); these are only read (and flushed from an
 * outbox stored before the change).
 */
export const COIN_DAY_PREFIX = 'cd#';
export const coinDayKey = (day: string) => `${COIN_DAY_PREFIX}${day}`;
/**
 * Legacy coin totals (`cd#all`): partition `cd#all`, sk = source. The running sums of the coin
 * figures' deltas are now counted in the totals items (`totals`); these are only read (and
 * flushed from an outbox stored before the change).
 */
export const LEGACY_COIN_TOTALS_KEY = 'cd#all';

/** A day family: its counter keys' prefix, its partition, and its sort keys' day part (fixed width, so they sort). */
interface DayFamily {
  prefix: string;
  pk: string;
  /** The sort key's day part of a counter key's day, or null if the key is not the family's. */
  encode(day: string): string | null;
  decode(part: string): string;
}
const DAY_OFFSET = 1_000_000;
const DAY_FAMILIES: readonly DayFamily[] = [
  {
    prefix: 'd#',
    pk: 'd',
    encode: (day) => {
      const n = Number(day);
      // Every day of a 4-digit year (0000…9999) fits in 7 digits once offset.
      return /^-?\d{1,7}$/.test(day) && n >= -DAY_OFFSET && n < 9 * DAY_OFFSET ? String(n + DAY_OFFSET).padStart(7, '0') : null;
    },
    decode: (part) => String(Number(part) - DAY_OFFSET),
  },
  {
    prefix: COIN_DAY_PREFIX,
    pk: 'cd',
    encode: (day) => (/^\d{4}-\d{2}-\d{2}$/.test(day) ? day : null),
    decode: (part) => part,
  },
];

function familyOf(key: string): { family: DayFamily; day: string } | null {
  for (const family of DAY_FAMILIES) {
    if (!key.startsWith(family.prefix)) continue;
    const day = family.encode(key.slice(family.prefix.length));
    if (day !== null) return { family, day };
  }
  return null;
}

/** Where the counter item of `key` written by `source` is stored. */
export function counterItemKey(key: string, source: string): { pk: string; sk: string } {
  const found = familyOf(key);
  return found ? { pk: found.family.pk, sk: `${found.day}#${source}` } : { pk: key, sk: source };
}

/** The counter key of a stored counter item (the inverse of `counterItemKey`). */
export function counterKeyOf(item: { pk: string; sk: string }): string {
  const family = DAY_FAMILIES.find((f) => f.pk === item.pk);
  if (!family) return item.pk;
  return `${family.prefix}${family.decode(item.sk.slice(0, item.sk.indexOf('#')))}`;
}

/** One Query of counter items: partition `pk`, and with `from`/`to` the sort keys between them. */
export interface CounterSpan {
  pk: string;
  between?: [from: string, to: string];
}

/**
 * The Queries that read every counter item of `keys`: one per day family over the span from its
 * first to its last day (the days between included: callers ask for consecutive days), one per
 * other key. Their items may hold keys not asked for (`counterKeyOf` names them).
 */
export function counterSpans(keys: readonly string[]): CounterSpan[] {
  const spans = new Map<string, CounterSpan>();
  for (const key of keys) {
    const found = familyOf(key);
    if (!found) {
      spans.set(`=${key}`, { pk: key });
      continue;
    }
    const { family, day } = found;
    const span = spans.get(family.pk);
    // `#` < `$`: `<day>#…` sorts between `<day>#` and `<day>$`.
    if (!span?.between) spans.set(family.pk, { pk: family.pk, between: [`${day}#`, `${day}$`] });
    else {
      if (`${day}#` < span.between[0]) span.between[0] = `${day}#`;
      if (`${day}$` > span.between[1]) span.between[1] = `${day}$`;
    }
  }
  return [...spans.values()];
}

/** Job hint: members whose last active day became `day` (`la#<day>`); read through {@link hintSources}. */
export const lastActiveHintKey = (day: number) => `la#${day}`;
/** Job hint: members who purchased on `day` (`pu#<day>`); read through {@link hintSources}. */
export const purchaseHintKey = (day: number) => `pu#${day}`;

/**
 * A batch's hints of one day are one item (pk `pu#<day>`, sk = shard, batch and digest of the
 * lists): the members who purchased on the day in `ids`, those whose last active day became the
 * day in `la` — one write per batch and day where there were two. Last-active lists written
 * before are in their own items (pk `la#<day>`, `ids`).
 */
export const dayHintsKey = purchaseHintKey;

/** Where a hint key's lists are stored: item partitions and the attribute holding the list. */
export function hintSources(key: string): { pk: string; attribute: 'ids' | 'la' }[] {
  if (!key.startsWith('la#')) return [{ pk: key, attribute: 'ids' }];
  return [
    { pk: dayHintsKey(Number(key.slice(3))), attribute: 'la' },
    { pk: key, attribute: 'ids' },
  ];
}

/**
 * Coin-due hints (shared/coins/due-hints.ts): members the daily coins job must re-read on a day.
 * pk `cd#<first day of the 14-day period>`, sk `<day, 6 digits>#<source>`, `ids`: a run reads the
 * days after its last run with one Query per period (usually one), and coins expiring reads a
 * month ahead with three.
 */
export const COIN_DUE_PREFIX = 'cd#';
export const COIN_DUE_PERIOD_DAYS = 14;
const coinDuePeriod = (day: number) => day - (((day % COIN_DUE_PERIOD_DAYS) + COIN_DUE_PERIOD_DAYS) % COIN_DUE_PERIOD_DAYS);
const coinDueSk = (day: number) => String(day).padStart(6, '0');
export const coinDueHintKey = (day: number, source: string) => ({
  pk: `${COIN_DUE_PREFIX}${coinDuePeriod(day)}`,
  sk: `${coinDueSk(day)}#${source}`,
});
/** The hint day of a coin-due hint's sort key. */
export const coinDueHintDay = (sk: string) => Number(sk.slice(0, sk.indexOf('#')));
/** The Queries reading the coin-due hints of days `from`..`to`: a partition and a sort-key range each. */
export function coinDueSpans(from: number, to: number): { pk: string; between: [string, string] }[] {
  const spans: { pk: string; between: [string, string] }[] = [];
  for (let period = coinDuePeriod(from); period <= to; period += COIN_DUE_PERIOD_DAYS) {
    const first = Math.max(from, period);
    const last = Math.min(to, period + COIN_DUE_PERIOD_DAYS - 1);
    // `#` < `$`: `<day>#…` sorts between `<day>#` and `<day>$`.
    spans.push({ pk: `${COIN_DUE_PREFIX}${period}`, between: [`${coinDueSk(first)}#`, `${coinDueSk(last)}$`] });
  }
  return spans;
}

/** A daily job's progress item (`job#<name>`, sk `progress`). The jobs may write only these keys. */
export const JOB_PROGRESS_PREFIX = 'job#';
export const jobProgressKey = (job: string) => ({ pk: `${JOB_PROGRESS_PREFIX}${job}`, sk: 'progress' });
/** The coins job's start mark (`day`: the latest run that began reading hints; shared/coins/due-hints.ts). */
export const COINS_JOB_START_KEY = { pk: `${JOB_PROGRESS_PREFIX}coins`, sk: 'started' };
/** Written once every member with a lot has been hinted (shared/jobs/run-coins.ts). */
export const COINS_JOB_BACKFILLED_KEY = { pk: `${JOB_PROGRESS_PREFIX}coins`, sk: 'backfilled' };
/** Where the upgrade scan goes on (`from`: a scan page's `next`) after a run stopped before its end. */
export const COINS_JOB_BACKFILL_FROM_KEY = { pk: `${JOB_PROGRESS_PREFIX}coins`, sk: 'backfill-from' };

/** Segment membership (`sm#<segmentId>#<bucket>`, sk = memberId), spread over this many buckets. */
export const SEGMENT_BUCKETS = 8;
export const segmentMemberKey = (segmentId: string, bucket: number) => `sm#${segmentId}#${bucket}`;
