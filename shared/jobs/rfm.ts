// The rfm job: scores every member who purchased in the window, and names those whose scores or
// class changed (or who left the window) — only they get a command.
import type { MemberState, RfmSnapshot } from '../member/state';
import { rfmInputs } from '../member/facts';
import type { Program } from '../programme/vocabulary';
import { computeRfm, type RfmResult } from '../rfm/rfm';

export function rfmChanges(
  program: Program,
  members: readonly MemberState[],
  asOf: number,
): { result: RfmResult; changes: { memberId: string; rfm: Omit<RfmSnapshot, 'asOf'> | null }[] } {
  const rows = [];
  for (const m of members) {
    const inputs = rfmInputs(program, m.purchases, asOf);
    if (inputs) rows.push({ memberId: m.memberId, ...inputs });
  }
  const result = computeRfm(rows);
  const changes = [];
  for (const m of members) {
    const next = result.byMember.get(m.memberId) ?? null;
    const prev = m.rfm;
    const same =
      next === null
        ? prev === null
        : prev !== null && prev.segment === next.segment && prev.r === next.r && prev.f === next.f && prev.m === next.m;
    if (!same) changes.push({ memberId: m.memberId, rfm: next });
  }
  return { result, changes };
}
