// Segment-rule matching against a member's facts, by the programme's tier order.
import type { Program, RuleOp, RuleValue, SegmentFacts, SegmentRule } from './vocabulary';

/** Index of a tier id in the programme, or -1. */
export function tierIndexById(program: Program, tierId: string): number {
  return program.tiers.findIndex((t) => t.id === tierId);
}

function compare(op: RuleOp, a: number, b: number): boolean {
  switch (op) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'gt':
      return a > b;
    case 'gte':
      return a >= b;
    case 'lt':
      return a < b;
    case 'lte':
      return a <= b;
    case 'in':
      return false; // handled by the caller
  }
}

/**
 * Whether a member's facts satisfy a (validated) segment rule. `all` needs every sub-rule, `any`
 * one. Tiers compare by their order in the programme. A `null` fact equals only `null`; ordering
 * ops on a `null` fact are false.
 */
export function matchesRule(program: Program, rule: SegmentRule, facts: SegmentFacts): boolean {
  if ('all' in rule) return rule.all.every((r) => matchesRule(program, r, facts));
  if ('any' in rule) return rule.any.some((r) => matchesRule(program, r, facts));
  const raw = facts[rule.field];
  const values = Array.isArray(rule.value) ? rule.value : [rule.value];
  const norm = (v: RuleValue): RuleValue => (rule.field === 'tier' && typeof v === 'string' ? tierIndexById(program, v) : v);
  const fact = norm(raw as RuleValue);
  if (rule.op === 'in') return values.some((v) => norm(v) === fact);
  const value = norm(values[0]);
  if (rule.op === 'eq') return fact === value;
  if (rule.op === 'ne') return fact !== value;
  if (typeof fact !== 'number' || typeof value !== 'number') return false;
  return compare(rule.op, fact, value);
}
