/**
 * The segment catalogue (docs/api.md#get-segments-viewer) and a member's segment memberships.
 *
 * Built-in segments come first, in a fixed order: `tier-<id>` in programme tier order,
 * `status-active|silent|churned`, `rfm-<class>` in `RFM_CLASSES` order; then the programme's custom
 * segments in file order. Custom ids cannot collide with built-ins (the programme schema forbids the
 * built-in prefixes), so an id names one segment.
 */
import {
  MEMBER_STATUSES,
  RFM_CLASSES,
  type MemberStatus,
  type Program,
  type RfmClass,
  type SegmentDefinition,
  type SegmentFacts,
} from '../programme/vocabulary';
import { matchesRule } from '../programme/rules';

export interface BuiltInSegment {
  id: string;
  name: string;
}

/** A built-in `{ id, name }` or a custom `{ id, name, rule }` from the programme. */
export type Segment = BuiltInSegment | SegmentDefinition;

const STATUS_NAMES: Record<MemberStatus, string> = {
  active: 'Active members',
  silent: 'Silent members (沉默会员)',
  churned: 'Churned members (流失会员)',
};

// The Chinese names are the operations team's own vocabulary (docs: domain.md).
const RFM_NAMES: Record<RfmClass, string> = {
  'important-value': 'Important value (重要价值客户)',
  'important-develop': 'Important develop (重要发展客户)',
  'important-keep': 'Important keep (重要保持客户)',
  'important-retain': 'Important retain (重要挽留客户)',
  'general-value': 'General value (一般价值客户)',
  'general-develop': 'General develop (一般发展客户)',
  'general-keep': 'General keep (一般保持客户)',
  'general-retain': 'General retain (一般挽留客户)',
};

export function builtInSegments(program: Program): BuiltInSegment[] {
  return [
    ...program.tiers.map((t) => ({ id: `tier-${t.id}`, name: `Tier ${t.id}` })),
    ...MEMBER_STATUSES.map((s) => ({ id: `status-${s}`, name: STATUS_NAMES[s] })),
    ...RFM_CLASSES.map((c) => ({ id: `rfm-${c}`, name: `RFM: ${RFM_NAMES[c]}` })),
  ];
}

export function allSegments(program: Program): Segment[] {
  return [...builtInSegments(program), ...program.segments];
}

export function segmentById(program: Program, id: string): Segment | undefined {
  return allSegments(program).find((s) => s.id === id);
}

/**
 * Ids of every segment the member is in, in catalogue order. A tier the programme no longer has
 * (facts from before a programme change) puts the member in no tier segment; `rfmSegment: null`
 * (no purchase in the RFM window) in no RFM segment.
 */
export function memberSegments(program: Program, facts: SegmentFacts): string[] {
  const ids: string[] = [];
  if (program.tiers.some((t) => t.id === facts.tier)) ids.push(`tier-${facts.tier}`);
  ids.push(`status-${facts.status}`);
  if (facts.rfmSegment !== null) ids.push(`rfm-${facts.rfmSegment}`);
  for (const s of program.segments) if (matchesRule(program, s.rule, facts)) ids.push(s.id);
  return ids;
}

/**
 * Segments nearly every member is in — the base tier and `status-active` — whose membership is
 * not written as items of its own (two writes per new member, a quarter of the write units of the
 * default benchmark, #16): the member item already says it (`segments`), and a listing reads it
 * from there. Every other segment keeps its membership items.
 */
export function segmentsListedFromMembers(program: Program): ReadonlySet<string> {
  return new Set([...(program.tiers.length ? [`tier-${program.tiers[0].id}`] : []), 'status-active']);
}

/** `entered`: in `after` only (in `after`'s order); `exited`: in `before` only. No duplicates. */
export function segmentDiff(before: readonly string[], after: readonly string[]): { entered: string[]; exited: string[] } {
  const b = new Set(before);
  const a = new Set(after);
  return { entered: [...a].filter((id) => !b.has(id)), exited: [...b].filter((id) => !a.has(id)) };
}
