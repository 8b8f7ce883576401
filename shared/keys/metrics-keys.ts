// MetricsTable (pk `pk`, sk `sk`): the partition keys of every item kind it holds. The counters inside
// a counter item are in metrics/catalogue.ts.

/** Running totals (members, tiers, segment sizes); sk = source shard. */
export const TOTALS_KEY = 'totals';

/** A day's counters (`d#<day number>`); sk = source shard. */
export const dayKey = (day: number) => `d#${day}`;

/** Coin movements booked on a day (`cd#<YYYY-MM-DD>`); sk = source shard, or `api#<n>` for the API. */
export const COIN_DAY_PREFIX = 'cd#';
export const coinDayKey = (day: string) => `${COIN_DAY_PREFIX}${day}`;
/** Running sums of the coin figures' deltas (`cd#all`); sk as for coin days. */
export const COIN_TOTALS_KEY = 'cd#all';

/** Job hint: members whose last active day became `day` (`la#<day>`); sk = shard and batch. */
export const lastActiveHintKey = (day: number) => `la#${day}`;
/** Job hint: members who purchased on `day` (`pu#<day>`); sk = shard and batch. */
export const purchaseHintKey = (day: number) => `pu#${day}`;

/** A daily job's progress item (`job#<name>`, sk `progress`). The jobs may write only these keys. */
export const JOB_PROGRESS_PREFIX = 'job#';
export const jobProgressKey = (job: string) => ({ pk: `${JOB_PROGRESS_PREFIX}${job}`, sk: 'progress' });

/** Segment membership (`sm#<segmentId>#<bucket>`, sk = memberId), spread over this many buckets. */
export const SEGMENT_BUCKETS = 8;
export const segmentMemberKey = (segmentId: string, bucket: number) => `sm#${segmentId}#${bucket}`;
