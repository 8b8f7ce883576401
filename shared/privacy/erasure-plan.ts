// Which members of a batch are erased now, which were erased before, and what is quarantined
// because of it (see erasure.ts). Tombstones are looked up only where they can matter: members
// not stored (a replay of an erased member's records) and members with an erase command.
import { occurredAtMs } from '../events/events';
import { compareSeq } from '../stream/position';
import type { IncomingRecord, MemberState } from '../member/state';
import type { EraseRecord, ErasurePort } from './erasure';

export interface PayloadFreeQuarantine {
  reason: 'erased_member' | 'erasure_not_requested';
  detail: string;
  position: IncomingRecord['position'];
  arrivedAt: number;
}

export interface ErasingMember {
  memberHash: string;
  erasureId: string;
  /** Stream position of the command; the erasure's counter segment ends there. */
  position: IncomingRecord['position'];
  /** Programme day of the command's occurredAt. */
  day: number;
}

export interface ErasurePlan {
  /** Stored members erased by a command in this batch (their later records already removed). */
  erasing: Map<string, ErasingMember>;
  /** Members erased earlier that had an erase command again here: swept again (idempotent). */
  resweep: Set<string>;
  quarantine: PayloadFreeQuarantine[];
}

const ERASED_DETAIL = 'the member was erased; the record is not kept';

/**
 * Plans the batch's erasures. Mutates `byMember`: drops the records of erased members and the
 * records after an erase command. `arrivedAt` finds a record's arrival time.
 */
export async function planErasures(
  byMember: Map<string, IncomingRecord[]>,
  erases: Map<string, EraseRecord[]>,
  stored: Map<string, MemberState>,
  port: ErasurePort,
  dayOf: (atMs: number) => number,
  arrivedAt: (position: IncomingRecord['position']) => number,
): Promise<ErasurePlan> {
  const plan: ErasurePlan = { erasing: new Map(), resweep: new Set(), quarantine: [] };
  const candidates = new Set<string>(erases.keys());
  for (const memberId of byMember.keys()) if (!stored.has(memberId)) candidates.add(memberId);
  if (candidates.size === 0) return plan;
  const hashes = new Map([...candidates].map((id) => [id, port.hash(id)]));
  const tombstoned = await port.tombstones([...new Set(hashes.values())]);
  const erased = (records: readonly IncomingRecord[]) => {
    for (const r of records)
      plan.quarantine.push({ reason: 'erased_member', detail: ERASED_DETAIL, position: r.position, arrivedAt: arrivedAt(r.position) });
  };

  for (const memberId of candidates) {
    const memberHash = hashes.get(memberId)!;
    const records = byMember.get(memberId) ?? [];
    const commands = erases.get(memberId) ?? [];
    if (!tombstoned.has(memberHash)) {
      // No tombstone: a command is not an erasure request the api accepted.
      for (const c of commands) {
        plan.quarantine.push({
          reason: 'erasure_not_requested',
          detail: 'erase_member without an accepted erasure request',
          position: c.position,
          arrivedAt: c.arrivedAt,
        });
      }
      continue;
    }
    if (!stored.has(memberId)) {
      // Erased before (or being replayed): nothing of it is applied, ever.
      erased(records);
      byMember.delete(memberId);
      if (commands.length) plan.resweep.add(memberId);
      continue;
    }
    if (commands.length === 0) continue; // erasure requested, its command not reached yet: apply as usual
    const first = commands[0];
    const before = records.filter((r) => compareSeq(r.position.seq, first.position.seq) < 0);
    erased(records.filter((r) => compareSeq(r.position.seq, first.position.seq) > 0));
    if (before.length) byMember.set(memberId, before);
    else byMember.delete(memberId);
    plan.erasing.set(memberId, {
      memberHash,
      erasureId: first.command.erasureId,
      position: first.position,
      day: dayOf(occurredAtMs(first.command.occurredAt)),
    });
  }
  return plan;
}

/** A member id named by a record that could not be decoded (valid JSON or not). */
export function namedMemberId(item: { memberId?: string; raw: string }): string | undefined {
  if (item.memberId) return item.memberId;
  const match = /"memberId"\s*:\s*"([A-Za-z0-9_.:@-]{1,128})"/.exec(item.raw);
  return match?.[1];
}

/**
 * Bad records of erased members lose their payload too: a record whose member id (parsed or
 * found in its text) has a tombstone is quarantined as `erased_member` with nothing of it kept.
 */
export async function scrubErasedQuarantine<T extends { reason: string; detail: string; memberId?: string; eventId?: string; raw: string }>(
  items: T[],
  port: ErasurePort,
): Promise<T[]> {
  const named = items.map((item) => namedMemberId(item));
  const hashes = new Map<string, string>();
  for (const id of named) if (id && !hashes.has(id)) hashes.set(id, port.hash(id));
  if (hashes.size === 0) return items;
  const tombstoned = await port.tombstones([...new Set(hashes.values())]);
  return items.map((item, i) => {
    const id = named[i];
    if (!id || !tombstoned.has(hashes.get(id)!)) return item;
    const { memberId: _m, eventId: _e, ...rest } = item;
    return { ...rest, reason: 'erased_member', detail: ERASED_DETAIL, raw: '' } as T;
  });
}
