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
  // Plain loops, no closures: this runs for every segment rule of every member write.
  if ('all' in rule) {
    for (const r of rule.all) if (!matchesRule(program, r, facts)) return false;
    return true;
  }
  if ('any' in rule) {
    for (const r of rule.any) if (matchesRule(program, r, facts)) return true;
    return false;
  }
  const tier = rule.field === 'tier';
  const fact = norm(program, tier, facts[rule.field] as RuleValue);
  if (rule.op === 'in') {
    if (!Array.isArray(rule.value)) return norm(program, tier, rule.value) === fact;
    for (const v of rule.value) if (norm(program, tier, v) === fact) return true;
    return false;
  }
  const value = norm(program, tier, Array.isArray(rule.value) ? rule.value[0] : rule.value);
  if (rule.op === 'eq') return fact === value;
  if (rule.op === 'ne') return fact !== value;
  if (typeof fact !== 'number' || typeof value !== 'number') return false;
  return compare(rule.op, fact, value);
}

/** A tier rule's value (a tier id) as the tier's index; any other value as it is. */
function norm(program: Program, tier: boolean, v: RuleValue): RuleValue {
  return tier && typeof v === 'string' ? tierIndexById(program, v) : v;
}
