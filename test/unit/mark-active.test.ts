// markActive replaces the active days, never changes the list it was given: a state's copy shares
// the list with the stored member (reducer.ts ownedCopy), and the in-place reduction keeps it as
// the days before a record (reduce-member.ts beforeView) — changed in place, both would move.
import { describe, expect, it } from 'vitest';
import { markActive, type Activity } from '../../shared/member/activity';

const LATE = 60;

describe('markActive', () => {
  it('a later day: a new list, the window moved on; the old list as it was', () => {
    const recent = [100, 101, 103];
    const activity: Activity = { lastActiveOn: 103, recent, activeDays: 3 };
    expect(markActive(activity, 228, LATE)).toBe('new');
    expect(activity.recent).toEqual([101, 103, 228]);
    expect(activity.recent).not.toBe(recent);
    expect(recent).toEqual([100, 101, 103]);
    expect(activity).toMatchObject({ lastActiveOn: 228, activeDays: 4 });
  });

  it('an earlier day: inserted in order in a new list; the old list as it was', () => {
    const recent = [100, 103];
    const activity: Activity = { lastActiveOn: 103, recent, activeDays: 2 };
    expect(markActive(activity, 101, LATE)).toBe('new');
    expect(activity.recent).toEqual([100, 101, 103]);
    expect(recent).toEqual([100, 103]);
    const before = activity.recent;
    expect(markActive(activity, 99, LATE)).toBe('new');
    expect(activity.recent).toEqual([99, 100, 101, 103]);
    expect(before).toEqual([100, 101, 103]);
  });

  it('a repeat or a late day keeps the very list', () => {
    const recent = [100, 103];
    const activity: Activity = { lastActiveOn: 103, recent, activeDays: 2 };
    expect(markActive(activity, 103, LATE)).toBe('repeat');
    expect(markActive(activity, 103 - LATE - 1, LATE)).toBe('late');
    expect(activity.recent).toBe(recent);
    expect(activity.activeDays).toBe(2);
  });
});
