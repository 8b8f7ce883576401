// Counter deltas from one member write (its old and new state). Every delta is keyed by a metrics
// item (`d#<day>` or `totals`, keys/metrics-keys.ts) and a counter of the catalogue (catalogue.ts);
// the read side (read.ts) reassembles the contract's figures. Keyed so that a write touches the
// items of its own new active days.
import {
  CHANNEL_RETENTION_OFFSETS,
  channelRetentionCounter,
  CONTRIBUTION_COUNTERS,
  CONTRIBUTION_WIDTH,
  COUNTER,
  newByChannelCounter,
  rangeCellCounter,
  retainedOnDayCounter,
  retainedRangeCounter,
  RETENTION_DAYS,
  segmentSizeCounter,
  tierCounter,
  UNKNOWN_CHANNEL,
  type RangePrefix,
} from './catalogue';
import { dayKey, TOTALS_KEY } from '../keys/metrics-keys';
import type { MemberState } from '../member/state';
import { isVisitorKey } from '../identity/keys';
import { sameItems } from '../util/same-items';
import { OTHER_CHANNEL, type Program } from '../programme/vocabulary';

/** item key → counter → delta */
export type Deltas = Map<string, Map<string, number>>;

export function add(deltas: Deltas, item: string, counter: string, by: number): void {
  if (by === 0) return;
  let counters = deltas.get(item);
  if (!counters) {
    counters = new Map();
    deltas.set(item, counters);
  }
  counters.set(counter, (counters.get(counter) ?? 0) + by);
}

/** The programme's list of channels counted by name (the rest count as `other`). */
export type ChannelList = Pick<Program, 'acquisitionChannels'>;

/** The channel a member is counted under: its own when the programme names it, else `other`. */
export const channelOf = (program: ChannelList, state: Pick<MemberState, 'acquisitionChannel'>) =>
  countedChannel(program, state.acquisitionChannel);

export function countedChannel(program: ChannelList, channel: string | null): string {
  if (channel === null) return UNKNOWN_CHANNEL;
  return program.acquisitionChannels.includes(channel) ? channel : OTHER_CHANNEL;
}

/**
 * Totals (members, tiers, segment sizes) are also booked on the day they take effect, so a figure
 * as of an earlier day is the total minus the later days' deltas.
 */
function total(deltas: Deltas, day: number, counter: string, by: number): void {
  add(deltas, TOTALS_KEY, counter, by);
  add(deltas, dayKey(day), counter, by);
}

/** What the deltas read of the state before a write (the reducer keeps only this before a record: #16). */
export type DeltaBase = Pick<MemberState, 'joinedOn' | 'acquisitionChannel' | 'tier' | 'segments' | 'history'> & {
  activity: Pick<MemberState['activity'], 'recent' | 'lastActiveOn'>;
};

/** Adds the deltas of one write. `old` is null for a member's first write. */
export function memberDeltas(old: DeltaBase | null, next: MemberState, deltas: Deltas, program: ChannelList): void {
  for (const [day, row] of next.contribution) {
    for (let i = 0; i < CONTRIBUTION_WIDTH; i++) if (row[i]) add(deltas, dayKey(day), CONTRIBUTION_COUNTERS[i], row[i]);
  }
  for (const [item, counters] of next.identityDeltas ?? []) for (const [counter, by] of counters) add(deltas, item, counter, by);
  if (isVisitorKey(next.memberId)) {
    // A visitor is a person in DAU/WAU/MAU and lifecycle, never a member (docs/rules.md#identity).
    // First seen when first active (a visitor a link created holds no activity).
    const seen = (old?.activity.lastActiveOn ?? null) !== null;
    if (!seen && next.activity.lastActiveOn !== null) add(deltas, dayKey(next.joinedOn), COUNTER.newVisitors, 1);
    else if (seen && old!.joinedOn !== next.joinedOn) {
      add(deltas, dayKey(old!.joinedOn), COUNTER.newVisitors, -1);
      add(deltas, dayKey(next.joinedOn), COUNTER.newVisitors, 1);
    }
    activityDeltas(rekeyed(old, next, deltas, true, program), next, deltas, true, program);
    customerDeltas(old, next, deltas, true);
    return;
  }
  const j = next.joinedOn;
  if (!old) {
    add(deltas, dayKey(j), COUNTER.newMembers, 1);
    add(deltas, dayKey(j), newByChannelCounter(channelOf(program, next)), 1);
    add(deltas, TOTALS_KEY, COUNTER.members, 1);
    total(deltas, j, tierCounter(next.tier.tier), 1);
  } else {
    if (old.joinedOn !== j) {
      // joinedOn moved earlier (an earlier-dated record arrived late, or a fold: an identified
      // visitor was seen first): the member joined then, and held the base tier from then until
      // the old joinedOn, where its first write booked the tier it had (day items only: as of a
      // day, a tier count is the total minus the later days' deltas).
      add(deltas, dayKey(old.joinedOn), COUNTER.newMembers, -1);
      add(deltas, dayKey(j), COUNTER.newMembers, 1);
      add(deltas, dayKey(old.joinedOn), newByChannelCounter(channelOf(program, old)), -1);
      add(deltas, dayKey(j), newByChannelCounter(channelOf(program, old)), 1);
      add(deltas, dayKey(old.joinedOn), tierCounter(0), -1);
      add(deltas, dayKey(j), tierCounter(0), 1);
    }
    if (channelOf(program, old) !== channelOf(program, next)) {
      // A first signup after other events, or a fold of an id that joined first (shared/identity/fold.ts).
      add(deltas, dayKey(j), newByChannelCounter(channelOf(program, old)), -1);
      add(deltas, dayKey(j), newByChannelCounter(channelOf(program, next)), 1);
    }
    if (old.tier.tier !== next.tier.tier) {
      // Booked on the day the change took effect (an upgrade's purchase day, a review's day); a
      // refund revert restores older dates, so it is booked on the reverted upgrade's day.
      // The old base tier's day is the joinedOn it moved back to (shared/member/joined.ts).
      const oldSince = old.tier.tier === 0 && old.tier.tierSince === old.joinedOn ? j : old.tier.tierSince;
      const day = Math.max(next.tier.tierSince ?? j, oldSince ?? j);
      total(deltas, day, tierCounter(old.tier.tier), -1);
      total(deltas, day, tierCounter(next.tier.tier), 1);
    }
  }
  // (Most records keep the member's segment list as it was: no sets built.)
  if (!old || old.segments !== next.segments) {
    const before = new Set(old?.segments ?? []);
    const after = new Set(next.segments);
    const segmentDay = next.segmentsOn ?? j;
    for (const id of after) if (!before.has(id)) total(deltas, segmentDay, segmentSizeCounter(id), 1);
    for (const id of before) if (!after.has(id)) total(deltas, segmentDay, segmentSizeCounter(id), -1);
  }

  activityDeltas(rekeyed(old, next, deltas, false, program), next, deltas, false, program);
  customerDeltas(old, next, deltas, false);
}

/**
 * The old state under the new state's joinedOn and acquisition channel. Lifecycle, retention and
 * channel retention hang on them: when either moved, the old state's activity counts are taken back
 * whole and booked again under the new ones (the same days, so every other count cancels out; the
 * figures are linear in the counters, whatever path built them); the days this write added are then
 * booked on top, as in any write. Exact while the days that hang on the old and new joinedOn are in
 * the 128-day window of recent days, which a move by a record that counts as activity (not late:
 * within 60 days of the latest active day) guarantees.
 */
function rekeyed(old: DeltaBase | null, next: MemberState, deltas: Deltas, visitor: boolean, program: ChannelList): DeltaBase | null {
  if (!old) return null;
  // Usually neither moved: no copy (this runs for every record).
  if (old.joinedOn === next.joinedOn && channelOf(program, old) === channelOf(program, next)) return old;
  const was = { ...old, joinedOn: next.joinedOn, acquisitionChannel: next.acquisitionChannel };
  const back: Deltas = new Map();
  activityDeltas(null, old, back, visitor, program);
  for (const [item, counters] of back) for (const [counter, by] of counters) add(deltas, item, counter, -by);
  activityDeltas(null, was, deltas, visitor, program);
  return was;
}

/** Customers: persons with a purchase (any paying day, anonymous ones too) in the 30 days to a day. */
function customerDeltas(old: DeltaBase | null, next: MemberState, deltas: Deltas, visitor: boolean): void {
  // The same paying days (most records): nothing new, no set built.
  if (old && sameDays(old.history, next.history)) return;
  const days = new Set((old?.history ?? []).map((e) => e.day));
  for (const { day: d } of next.history) {
    if (days.has(d)) continue;
    let p = -Infinity;
    let n = Infinity;
    for (const a of days) {
      if (a < d && a > p) p = a;
      if (a > d && a < n) n = a;
    }
    rangeCell(deltas, dayKey(d), 'pc', d, p, n, 30);
    if (visitor) rangeCell(deltas, dayKey(d), 'pv', d, p, n, 30);
    days.add(d);
  }
}

/** A state's whole counts, as if written at once: what a fold takes back for a visitor it absorbs. */
export function wholeDeltas(state: MemberState, program: ChannelList): Deltas {
  const deltas: Deltas = new Map();
  memberDeltas(null, { ...state, contribution: new Map(), identityDeltas: undefined }, deltas, program);
  return deltas;
}

function activityDeltas(old: DeltaBase | null, next: DeltaBase, deltas: Deltas, visitor: boolean, program: ChannelList): void {
  // The same active days (a member's second record of a day): no day added, nothing to book.
  if (old && sameItems(old.activity.recent, next.activity.recent)) return;
  const before = new Set(old?.activity.recent ?? []);
  const added = next.activity.recent.filter((d) => !before.has(d));
  if (added.length === 0) return;
  const j = next.joinedOn;
  const channel = channelOf(program, next);
  const active = before;
  for (const d of added) {
    const key = dayKey(d);
    add(deltas, key, COUNTER.dau, 1);
    if (visitor) add(deltas, key, COUNTER.visitors, 1);
    const prevActive = active.has(d - 1);
    const nextActive = active.has(d + 1);
    if (d !== j) add(deltas, key, prevActive ? COUNTER.returning : COUNTER.resurrecting, 1);
    if (nextActive && d + 1 !== j) {
      // Day d+1 was counted as resurrecting; with d active it is returning.
      add(deltas, key, COUNTER.resurrectingNext, -1);
      add(deltas, key, COUNTER.returningNext, 1);
    }
    if (!nextActive) add(deltas, key, COUNTER.dormantNext, 1);
    if (prevActive) add(deltas, key, COUNTER.dormantSame, -1);

    let p = -Infinity;
    let n = Infinity;
    for (const a of active) {
      if (a < d && a > p) p = a;
      if (a > d && a < n) n = a;
    }
    rangeCell(deltas, key, 'w', d, p, n, 7);
    rangeCell(deltas, key, 'm', d, p, n, 30);

    const offset = d - j;
    // Retention cohorts hold members only.
    if (!visitor && offset >= 0 && offset <= RETENTION_DAYS) {
      add(deltas, key, retainedOnDayCounter(j), 1);
      if (CHANNEL_RETENTION_OFFSETS.includes(offset)) add(deltas, key, channelRetentionCounter(channel, j), 1);
    }
    active.add(d);
  }

  // onOrAfterDay[N] counts members whose latest active day is ≥ cohort + N: when that day moves
  // from L to la, offsets (L−j, la−j] ∩ [0, 30] become true. Kept in the item of min(la, j+30),
  // so a cohort's figures live in its own 31 day items.
  if (visitor) return;
  const la = next.activity.lastActiveOn;
  const previous = old?.activity.lastActiveOn ?? null;
  if (la !== null && (previous === null || la > previous)) {
    const lo = previous === null ? 0 : Math.max(previous - j + 1, 0);
    const hi = Math.min(la - j, RETENTION_DAYS);
    if (lo <= hi) add(deltas, dayKey(Math.min(la, j + RETENTION_DAYS)), retainedRangeCounter(j, lo, hi), 1);
  }
}

/**
 * The days newly covered by a rolling window of `width` days once `d` is active, given the nearest
 * active days before (p) and after (n): [max(p+width, d), min(n−1, d+width−1)], as offsets from d.
 */
function rangeCell(deltas: Deltas, key: string, prefix: RangePrefix, d: number, p: number, n: number, width: number): void {
  const a = Math.max(p + width - d, 0);
  const b = Math.min(n - 1 - d, width - 1);
  if (a <= b) add(deltas, key, rangeCellCounter(prefix, a, b), 1);
}

function sameDays(a: readonly { day: number }[], b: readonly { day: number }[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].day !== b[i].day) return false;
  return true;
}
