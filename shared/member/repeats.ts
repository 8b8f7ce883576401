// Recognising a record the member has already applied: the high-water mark (same shard, position
// at or before it) and the rings of recent eventIds (behaviour events and job commands apart).
import { compareSeq, type StreamPosition } from '../stream/position';
import { COMMAND_RING_SIZE, EVENT_RING_SIZE, type MemberState } from './state';

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

/** Adds an applied record's eventId hash to its ring: commands and behaviour events apart. */
export function remember(state: MemberState, idHash: number, command: boolean): void {
  const ring = command ? (state.recentCommandIds ??= []) : state.recentEventIds;
  const size = command ? COMMAND_RING_SIZE : EVENT_RING_SIZE;
  ring.push(idHash);
  if (ring.length > size) ring.splice(0, ring.length - size);
}
