// Job commands with deterministic eventIds: re-running a job for a day is a no-op for members
// that already applied it (their ring of recent eventIds), and the consumer applies them in order.
import { dayString } from '../days/days';
import type { JobCommand } from '../events/events';
import type { RfmSnapshot } from '../member/state';

type CommandType = JobCommand['type'];

function base(type: CommandType, memberId: string, asOf: number, nowMs: number) {
  const day = dayString(asOf);
  return { eventId: `${type}:${day}:${memberId}`.slice(0, 128), memberId, asOf: day, occurredAt: new Date(nowMs).toISOString() };
}

export function tierReviewCommand(memberId: string, asOf: number, nowMs: number): JobCommand {
  return { type: 'tier_review', ...base('tier_review', memberId, asOf, nowMs) };
}

export function statusCheckCommand(memberId: string, asOf: number, nowMs: number): JobCommand {
  return { type: 'status_check', ...base('status_check', memberId, asOf, nowMs) };
}

export function coinsDayCommand(memberId: string, asOf: number, nowMs: number): JobCommand {
  return { type: 'coins_day', ...base('coins_day', memberId, asOf, nowMs) };
}

export function rfmUpdateCommand(memberId: string, asOf: number, rfm: Omit<RfmSnapshot, 'asOf'> | null, nowMs: number): JobCommand {
  return { type: 'rfm_update', ...base('rfm_update', memberId, asOf, nowMs), rfm };
}
