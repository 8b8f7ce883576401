// People with two member accounts, merged by an operator (docs/api.md#identity-merging-members): pairs
// of simulated members taken to be one person, each merge placed in the arrival order after both
// accounts exist. Deterministic for a seed, so the oracle can apply the same identity graph.
import { Rng } from './rng';

export interface OperatorMerge {
  mergeId: string;
  /** The member kept. */
  into: string;
  /** The member merged away. */
  from: string;
  /** Index in the events' arrival order before which the operator merges them. */
  at: number;
  /** When the operator merges them: the occurredAt of the event at `at` (or of the last one). */
  occurredAt: string;
}

export interface MergeOptions {
  seed: number;
  /** How many merges (at most half the members). */
  count: number;
  /** Place every merge before this index of the arrival order (default: anywhere). */
  before?: number;
}

type Addressed = { memberId?: string; occurredAt: string };

/**
 * `count` merges of distinct members (no member in two merges: no chains, no cycles), each placed
 * after the first event of both members at or before `before`.
 */
export function operatorMerges(events: readonly Addressed[], opts: MergeOptions): OperatorMerge[] {
  const rng = new Rng(opts.seed ^ 0x3e7);
  const before = Math.min(opts.before ?? events.length, events.length);
  const first = new Map<string, number>();
  for (let i = 0; i < before; i++) {
    const id = events[i].memberId;
    if (id && !first.has(id)) first.set(id, i);
  }
  const members = [...first.keys()].sort();
  // A seeded shuffle, then consecutive pairs.
  for (let i = members.length - 1; i > 0; i--) {
    const j = rng.range(0, i);
    [members[i], members[j]] = [members[j], members[i]];
  }
  const merges: OperatorMerge[] = [];
  for (let k = 0; k + 1 < members.length && merges.length < opts.count; k += 2) {
    const [a, b] = [members[k], members[k + 1]];
    const earliest = Math.max(first.get(a)!, first.get(b)!) + 1;
    const at = earliest >= before ? before : rng.range(earliest, before);
    const [into, from] = rng.chance(0.5) ? [a, b] : [b, a];
    const occurredAt = events[Math.min(at, events.length - 1)].occurredAt;
    merges.push({ mergeId: `merge-${opts.seed}-${merges.length + 1}`, into, from, at, occurredAt });
  }
  return merges.sort((x, y) => x.at - y.at);
}
