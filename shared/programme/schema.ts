/**
 * The programme's zod schema and its error messages.
 *
 * `parseProgram` validates a programme JSON (every field has the contract's default, so `{}` is
 * the default programme) and throws a {@link ProgramError} whose message names each bad field by
 * its path, e.g. `programme.tiers[2].threshold: must be a non-negative integer`.
 * Field-by-field documentation: docs/programme.md.
 */
import { CoinsSchema, DEFAULT_EARN_RATES } from '../coins/programme';
import { z } from 'zod';
import { isTimeZone } from '../days/days';
import {
  BUILT_IN_SEGMENT_PREFIXES,
  CHANNELS,
  DEFAULT_ACQUISITION_CHANNELS,
  MAX_ACQUISITION_CHANNELS,
  OTHER_CHANNEL,
  DOWNGRADE_POLICIES,
  MEMBER_STATUSES,
  RFM_CLASSES,
  RULE_FIELDS,
  RULE_OPS,
  type Channel,
  type Program,
  type RuleField,
  type SegmentRule,
} from './vocabulary';

const RULE_FIELD_NAMES = Object.keys(RULE_FIELDS) as RuleField[];

/** Fields whose fact may be missing (`null`): a rule may compare them with `null` (eq / ne). */
const NULLABLE_FIELDS: ReadonlySet<RuleField> = new Set<RuleField>(['rfmSegment', 'acquisitionChannel', 'daysSinceLastPurchase']);

const ID_RE = /^[a-z0-9-]+$/;

const nonNegInt = (def: number) =>
  z.int({ error: 'must be a non-negative integer' }).min(0, { error: 'must be a non-negative integer' }).default(def);
const posInt = (def: number) => z.int({ error: 'must be a positive integer' }).min(1, { error: 'must be a positive integer' }).default(def);
const id = z.string({ error: 'must be a string' }).regex(ID_RE, { error: 'must match [a-z0-9-]+' });

const TierSchema = z.strictObject(
  {
    id,
    threshold: z.int({ error: 'must be a non-negative integer' }).min(0, { error: 'must be a non-negative integer' }),
  },
  { error: 'must be an object { id, threshold }' },
);

export const DEFAULT_TIERS = [
  { id: 'member', threshold: 0 },
  { id: 'silver', threshold: 1000 },
  { id: 'gold', threshold: 5000 },
  { id: 'platinum', threshold: 15000 },
];

const TiersSchema = z
  .array(TierSchema, { error: 'must be an array of tiers' })
  .min(1, { error: 'must list at least one tier' })
  .superRefine((tiers, ctx) => {
    if (tiers[0] && tiers[0].threshold !== 0) {
      ctx.addIssue({ code: 'custom', path: [0, 'threshold'], message: 'the first (base) tier must have threshold 0' });
    }
    const seen = new Set<string>();
    tiers.forEach((t, i) => {
      if (i > 0 && t.threshold >= 0 && t.threshold <= tiers[i - 1].threshold) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'threshold'],
          message: `must be greater than the previous tier's threshold (${tiers[i - 1].threshold})`,
        });
      }
      if (seen.has(t.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate tier id "${t.id}"` });
      seen.add(t.id);
    });
  })
  .default(() => DEFAULT_TIERS.map((t) => ({ ...t })));

const EarningSchema = z
  .strictObject(
    {
      pointsPerYuan: posInt(1),
      minimumEligibleCents: nonNegInt(100),
      earningChannels: z
        .array(z.enum(CHANNELS, { error: `must be one of ${CHANNELS.join(', ')}` }), { error: 'must be an array' })
        .refine((a) => new Set(a).size === a.length, { error: 'must not repeat a channel' })
        .default((): Channel[] => ['store', 'app', 'mini_program']),
      excludedCategories: z
        .array(z.string({ error: 'must be a string' }).min(1, { error: 'must be a non-empty string' }), {
          error: 'must be an array',
        })
        .default(() => ['gift_card']),
    },
    { error: 'must be an object' },
  )
  .prefault({});

const ConditionSchema = z
  .strictObject({
    field: z.enum(RULE_FIELD_NAMES as [RuleField, ...RuleField[]], {
      error: `must be one of ${RULE_FIELD_NAMES.join(', ')}`,
    }),
    op: z.enum(RULE_OPS, { error: `must be one of ${RULE_OPS.join(', ')}` }),
    value: z.union([z.string(), z.number(), z.null(), z.array(z.union([z.string(), z.number(), z.null()]))], {
      error: 'must be a string, a number, null or an array of them',
    }),
  })
  .superRefine((c, ctx) => {
    const kind = RULE_FIELDS[c.field];
    const bad = (message: string) => ctx.addIssue({ code: 'custom', path: ['value'], message });
    const ordered = kind === 'number' || kind === 'tier';
    if (!ordered && c.op !== 'eq' && c.op !== 'ne' && c.op !== 'in') {
      ctx.addIssue({ code: 'custom', path: ['op'], message: `field ${c.field} supports only eq, ne, in` });
      return;
    }
    if (c.op === 'in') {
      if (!Array.isArray(c.value) || c.value.length === 0) return bad('op "in" needs a non-empty array');
    } else if (Array.isArray(c.value)) {
      return bad(`op "${c.op}" needs a single value, not an array`);
    }
    const values = Array.isArray(c.value) ? c.value : [c.value];
    for (const v of values) {
      if (v === null) {
        if (!NULLABLE_FIELDS.has(c.field)) return bad(`field ${c.field} is never null`);
        if (c.op !== 'eq' && c.op !== 'ne' && c.op !== 'in') return bad(`op "${c.op}" cannot compare with null`);
        continue;
      }
      switch (kind) {
        case 'number':
          if (typeof v !== 'number' || !Number.isFinite(v)) return bad(`field ${c.field} compares with numbers`);
          break;
        case 'tier':
          if (typeof v !== 'string' || !ID_RE.test(v)) return bad('must be a tier id');
          break; // existence is checked against the programme's tiers below
        case 'status':
          if (!(MEMBER_STATUSES as readonly unknown[]).includes(v)) return bad(`must be one of ${MEMBER_STATUSES.join(', ')}`);
          break;
        case 'rfm':
          if (!(RFM_CLASSES as readonly unknown[]).includes(v)) return bad(`must be one of ${RFM_CLASSES.join(', ')}`);
          break;
        case 'string':
          if (typeof v !== 'string') return bad(`field ${c.field} compares with strings`);
          break;
      }
    }
  });

export const SegmentRuleSchema: z.ZodType<SegmentRule> = z.lazy(() =>
  z.union(
    [
      z.strictObject({
        all: z.array(SegmentRuleSchema, { error: 'must be an array of rules' }).min(1, { error: 'must list at least one rule' }),
      }),
      z.strictObject({
        any: z.array(SegmentRuleSchema, { error: 'must be an array of rules' }).min(1, { error: 'must list at least one rule' }),
      }),
      ConditionSchema,
    ],
    { error: 'must be a rule: { all: [rules] }, { any: [rules] } or { field, op, value }' },
  ),
) as z.ZodType<SegmentRule>;

const SegmentSchema = z.strictObject(
  {
    id: id.refine((s) => !BUILT_IN_SEGMENT_PREFIXES.some((p) => s.startsWith(p)), {
      error: `must not start with a built-in prefix (${BUILT_IN_SEGMENT_PREFIXES.join(', ')})`,
    }),
    name: z.string({ error: 'must be a string' }).min(1, { error: 'must be a non-empty string' }),
    rule: SegmentRuleSchema,
  },
  { error: 'must be an object { id, name, rule }' },
);

export const ProgramSchema = z
  .strictObject(
    {
      $schema: z.string().optional(),
      name: z.string({ error: 'must be a string' }).optional(),
      description: z.string({ error: 'must be a string' }).optional(),
      timezone: z
        .string({ error: 'must be an IANA time zone name' })
        .refine(isTimeZone, { error: 'must be an IANA time zone name known to the runtime' })
        .default('Asia/Shanghai'),
      tiers: TiersSchema,
      earning: EarningSchema,
      qualificationWindowDays: posInt(365),
      reviewPeriodDays: posInt(365),
      downgradePolicy: z.enum(DOWNGRADE_POLICIES, { error: `must be one of ${DOWNGRADE_POLICIES.join(', ')}` }).default('one_down'),
      atRiskNoticeDays: nonNegInt(30),
      activity: z.strictObject({ lateActivityLimitDays: nonNegInt(60) }, { error: 'must be an object' }).prefault({}),
      status: z
        .strictObject({ silentAfterDays: posInt(30), churnedAfterDays: posInt(90) }, { error: 'must be an object' })
        .superRefine((s, ctx) => {
          if (s.churnedAfterDays <= s.silentAfterDays) {
            ctx.addIssue({ code: 'custom', path: ['churnedAfterDays'], message: 'must be greater than silentAfterDays' });
          }
        })
        .prefault({}),
      winback: z
        .strictObject(
          {
            offerDays: z
              .array(z.int({ error: 'must be a positive integer' }).min(1, { error: 'must be a positive integer' }), {
                error: 'must be an array of days',
              })
              .superRefine((a, ctx) => {
                a.forEach((d, i) => {
                  if (i > 0 && d <= a[i - 1]) {
                    ctx.addIssue({ code: 'custom', path: [i], message: 'must be greater than the previous offer day' });
                  }
                });
              })
              .default(() => [30, 60]),
            conversionWindowDays: posInt(14),
          },
          { error: 'must be an object' },
        )
        .prefault({}),
      coins: CoinsSchema,
      acquisitionChannels: z
        .array(z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'must be 1–64 chars of [A-Za-z0-9_.-]' }), {
          error: 'must be an array of channel names',
        })
        .max(MAX_ACQUISITION_CHANNELS, { error: `must name at most ${MAX_ACQUISITION_CHANNELS} channels (the rest count as "other")` })
        .refine((a) => new Set(a).size === a.length, { error: 'must not repeat a channel' })
        .refine((a) => !a.includes(OTHER_CHANNEL) && !a.includes('unknown'), {
          error: 'must not name "other" or "unknown" (counted apart)',
        })
        .default(() => [...DEFAULT_ACQUISITION_CHANNELS]),
      segments: z
        .array(SegmentSchema, { error: 'must be an array of segments' })
        .superRefine((segs, ctx) => {
          const seen = new Set<string>();
          segs.forEach((s, i) => {
            if (seen.has(s.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate segment id "${s.id}"` });
            seen.add(s.id);
          });
        })
        .default(() => []),
    },
    { error: 'must be a JSON object' },
  )
  .superRefine((p, ctx) => {
    // Tier ids named by segment rules must exist.
    const tierIds = new Set(p.tiers.map((t) => t.id));
    const walk = (rule: SegmentRule, path: (string | number)[]) => {
      if ('all' in rule) rule.all.forEach((r, i) => walk(r, [...path, 'all', i]));
      else if ('any' in rule) rule.any.forEach((r, i) => walk(r, [...path, 'any', i]));
      else if (rule.field === 'tier') {
        for (const v of Array.isArray(rule.value) ? rule.value : [rule.value]) {
          if (typeof v === 'string' && !tierIds.has(v)) {
            ctx.addIssue({ code: 'custom', path: [...path, 'value'], message: `unknown tier "${v}"` });
          }
        }
      }
    };
    p.segments.forEach((s, i) => walk(s.rule, ['segments', i, 'rule']));
    // Coin rates must name tiers of this programme (unless they are the untouched defaults).
    const rates = p.coins.earnRates;
    const defaults =
      Object.keys(rates).length === Object.keys(DEFAULT_EARN_RATES).length &&
      Object.entries(rates).every(([k, v]) => DEFAULT_EARN_RATES[k] === v);
    for (const id of Object.keys(rates)) {
      if (!defaults && !tierIds.has(id))
        ctx.addIssue({ code: 'custom', path: ['coins', 'earnRates', id], message: `unknown tier "${id}"` });
    }
  });

type ParsedProgram = z.output<typeof ProgramSchema>;

// Compile-time check that the schema's output and the declared type agree.
const _check: (p: ParsedProgram) => Program = (p) => p;
void _check;

// ---------------------------------------------------------------------------------------------
// Parsing and error messages

export class ProgramError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'ProgramError';
  }
}

type Path = readonly PropertyKey[];

function formatPath(path: Path): string {
  let s = 'programme';
  for (const k of path) s += typeof k === 'number' ? `[${k}]` : `.${String(k)}`;
  return s;
}

function valueAt(root: unknown, path: Path): unknown {
  let v = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k as string];
  }
  return v;
}

interface LooseIssue {
  code: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
  errors?: LooseIssue[][];
}

function describe(issue: LooseIssue, prefix: Path, input: unknown, out: string[]): void {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'unrecognized_keys' && issue.keys) {
    for (const k of issue.keys) out.push(`${formatPath([...path, k])}: unknown field`);
    return;
  }
  if (issue.code === 'invalid_union' && issue.errors && issue.errors.length === 3) {
    // The segment-rule union: report the branch the input's shape selects.
    const v = valueAt(input, path);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const branch = 'all' in v ? 0 : 'any' in v ? 1 : 2;
      for (const sub of issue.errors[branch]) describe(sub, path, input, out);
      return;
    }
  }
  out.push(`${formatPath(path)}: ${issue.message}`);
}

/** Validates a programme JSON value and fills in the defaults. Throws a {@link ProgramError}. */
export function parseProgram(json: unknown): Program {
  const r = ProgramSchema.safeParse(json);
  if (r.success) return r.data;
  const problems: string[] = [];
  for (const issue of r.error.issues) describe(issue as unknown as LooseIssue, [], json, problems);
  throw new ProgramError(problems);
}
