// Recognising a record the member has already applied: the high-water mark (same shard, position
// at or before it) and the rings of recent eventIds (behaviour events and job commands apart).
import { compareSeq, type StreamPosition } from '../stream/position';
import { COMMAND_RING_SIZE, EVENT_RING_MAX, EVENT_RING_SIZE, REPLAY_WINDOW_DAYS, type MemberState } from './state';

/** Whether the high-water mark covers the position (an earlier delivery applied it). */
export function covers(highWater: StreamPosition | null, position: StreamPosition): boolean {
  return highWater !== null && highWater.shardId === position.shardId && compareSeq(highWater.seq, position.seq) >= 0;
}

/** Whether a record of a linked visitor came after its link (then it belongs to the member). */
export function afterLink(linkedAt: StreamPosition | null, position: StreamPosition): boolean {
  return !linkedAt || linkedAt.shardId !== position.shardId || compareSeq(position.seq, linkedAt.seq) > 0;
}

/** Whether the event's id hash is in its ring (commands and behaviour events apart). */
export function seenRecently(state: MemberState, idHash: number, command: boolean): boolean {
  return (command ? (state.recentCommandIds ?? []) : state.recentEventIds).includes(idHash);
}

/**
 * Adds an applied record's eventId hash to its ring: commands and behaviour events apart. A
 * producer's id stays while it arrived within REPLAY_WINDOW_DAYS of `arrivalDay` (the record's
 * arrival day), or is among the latest EVENT_RING_SIZE, up to EVENT_RING_MAX.
 */
export function remember(state: MemberState, idHash: number, command: boolean, arrivalDay: number): void {
  if (command) {
    const ring = (state.recentCommandIds ??= []);
    ring.push(idHash);
    if (ring.length > COMMAND_RING_SIZE) ring.splice(0, ring.length - COMMAND_RING_SIZE);
    return;
  }
  const ring = state.recentEventIds;
  const days = alignedDays(state);
  ring.push(idHash);
  days.push(arrivalDay);
  let drop = Math.max(0, ring.length - EVENT_RING_MAX);
  while (ring.length - drop > EVENT_RING_SIZE && days[drop] < arrivalDay - REPLAY_WINDOW_DAYS) drop++;
  if (drop) {
    ring.splice(0, drop);
    days.splice(0, drop);
  }
}

/** The ring's arrival days, one per id (ids stored before the days were kept count as day 0, long ago). */
function alignedDays(state: MemberState): number[] {
  const ids = state.recentEventIds.length;
  const days = state.recentEventDays ?? [];
  if (days.length !== ids)
    state.recentEventDays = days.length > ids ? days.slice(days.length - ids) : [...new Array<number>(ids - days.length).fill(0), ...days];
  else state.recentEventDays = days;
  return state.recentEventDays;
}
