// A member's recent active days: a 128-day window ending at lastActiveOn, kept as a bitmap.
// 128 days covers the 60-day lateness limit plus the 30-day MAU reach of any day that can still change.
export const RECENT_WINDOW_DAYS = 128;
const BITMAP_BYTES = RECENT_WINDOW_DAYS / 8;

export interface Activity {
  lastActiveOn: number | null;
  /** Active days within [lastActiveOn − 127, lastActiveOn], ascending. */
  recent: number[];
  activeDays: number;
}

export type ActivityOutcome = 'new' | 'repeat' | 'late';

/** Bit i set ⇔ day (lastActiveOn − i) was active. */
export function encodeRecent(lastActiveOn: number, recent: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(BITMAP_BYTES);
  for (const day of recent) {
    const i = lastActiveOn - day;
    if (i >= 0 && i < RECENT_WINDOW_DAYS) bytes[i >> 3] |= 1 << (i & 7);
  }
  return bytes;
}

export function decodeRecent(lastActiveOn: number, bytes: Uint8Array | undefined): number[] {
  const days: number[] = [];
  if (!bytes) return days;
  for (let i = Math.min(bytes.length * 8, RECENT_WINDOW_DAYS) - 1; i >= 0; i--) {
    if (bytes[i >> 3] & (1 << (i & 7))) days.push(lastActiveOn - i);
  }
  return days;
}

/** Marks `day` active; events more than `lateLimitDays` before the latest active day do not count. */
export function markActive(activity: Activity, day: number, lateLimitDays: number): ActivityOutcome {
  const last = activity.lastActiveOn;
  if (last !== null && day < last - lateLimitDays) return 'late';
  if (activity.recent.includes(day)) return 'repeat';
  activity.activeDays += 1;
  // A new list, never the old one changed: a state's copy may share it (reducer.ts ownedCopy), and
  // the reduction keeps it as the days before a record (reduce-member.ts beforeView) without a copy.
  if (last === null || day > last) {
    activity.lastActiveOn = day;
    const floor = day - RECENT_WINDOW_DAYS + 1;
    const recent = activity.recent.filter((d) => d >= floor);
    recent.push(day);
    activity.recent = recent;
  } else {
    const recent = activity.recent.slice();
    const at = recent.findIndex((d) => d > day);
    if (at < 0) recent.push(day);
    else recent.splice(at, 0, day);
    activity.recent = recent;
  }
  return 'new';
}
