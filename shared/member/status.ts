// A member's activity status as of a day: shared by the write side (segment facts) and the views.
import type { MemberStatus, Program } from '../programme/vocabulary';
import type { MemberState } from './state';

/** The member's latest active day on or before `asOf`, as far as the state can tell. */
export function lastActiveAsOf(state: MemberState, asOf: number): number | null {
  const { lastActiveOn, recent } = state.activity;
  if (lastActiveOn === null) return null;
  if (lastActiveOn <= asOf) return lastActiveOn;
  for (let i = recent.length - 1; i >= 0; i--) if (recent[i] <= asOf) return recent[i];
  return null;
}

export function statusAsOf(program: Program, lastActive: number | null, asOf: number): MemberStatus {
  if (lastActive === null) return 'churned';
  const silence = asOf - lastActive;
  if (silence < program.status.silentAfterDays) return 'active';
  if (silence < program.status.churnedAfterDays) return 'silent';
  return 'churned';
}
