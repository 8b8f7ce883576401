// The programme's vocabulary (docs/rules.md): channels, statuses, RFM classes, segment-rule fields and
// ops, and the Program type every rule reads. No validation or loading here (schema.ts, load.ts).

import type { CoinsProgram } from '../coins/programme';

export const CHANNELS = ['store', 'app', 'mini_program', 'third_party'] as const;
export type Channel = (typeof CHANNELS)[number];

export const DOWNGRADE_POLICIES = ['one_down', 'balance_based'] as const;
export type DowngradePolicy = (typeof DOWNGRADE_POLICIES)[number];

export const MEMBER_STATUSES = ['active', 'silent', 'churned'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

export const RFM_CLASSES = [
  'important-value',
  'important-develop',
  'important-keep',
  'important-retain',
  'general-value',
  'general-develop',
  'general-keep',
  'general-retain',
] as const;
export type RfmClass = (typeof RFM_CLASSES)[number];

/** Prefixes of the built-in segment ids (`tier-gold`, `status-silent`, `rfm-important-value`). */
export const BUILT_IN_SEGMENT_PREFIXES = ['tier-', 'status-', 'rfm-'] as const;

/**
 * The member facts a custom segment rule may test, and their kind:
 * - `number`: every op; `null` facts (e.g. `daysSinceLastPurchase` of a member who never bought)
 *   only match `eq null` / `ne <x>`.
 * - `tier`: a tier id; every op, the ordering ones by the programme's tier order (`gte gold`).
 * - `status` / `rfm` / `string`: `eq`, `ne`, `in`.
 */
export const RULE_FIELDS = {
  tier: 'tier',
  qualifyingPoints: 'number',
  lifetimePoints: 'number',
  status: 'status',
  rfmSegment: 'rfm',
  activeDays: 'number',
  acquisitionChannel: 'string',
  monetaryCents: 'number',
  daysSinceLastPurchase: 'number',
} as const;
export type RuleField = keyof typeof RULE_FIELDS;

export const RULE_OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in'] as const;
export type RuleOp = (typeof RULE_OPS)[number];

export type RuleValue = string | number | null;
export interface ConditionRule {
  field: RuleField;
  op: RuleOp;
  value: RuleValue | RuleValue[];
}
export type SegmentRule = { all: SegmentRule[] } | { any: SegmentRule[] } | ConditionRule;

/**
 * Acquisition channels counted by name in the daily metrics (new members and retention by channel);
 * any other channel is counted as `other`, so free-form values cannot grow a day's metrics item
 * without bound (#19 item 5). The member keeps the channel it gave.
 */
export const DEFAULT_ACQUISITION_CHANNELS = [
  'sem',
  'seo',
  'weibo',
  'wechat',
  'douyin',
  'xiaohongshu',
  'bilibili',
  'kol',
  'referral',
  'store',
  'store_flyer',
  'app_store',
  'mini_program',
  'email',
  'sms',
  'partner',
  'event',
  'organic',
];
/** At most this many named channels (each a few counters per day item). */
export const MAX_ACQUISITION_CHANNELS = 50;
/** The counted channel of an acquisition channel not in the programme's list. */
export const OTHER_CHANNEL = 'other';

export interface Tier {
  id: string;
  threshold: number;
}

export interface SegmentDefinition {
  id: string;
  name: string;
  rule: SegmentRule;
}

export interface Program {
  name?: string;
  description?: string;
  timezone: string;
  /** Ordered by threshold, strictly increasing; index 0 is the base tier (threshold 0). */
  tiers: Tier[];
  earning: {
    pointsPerYuan: number;
    minimumEligibleCents: number;
    earningChannels: Channel[];
    excludedCategories: string[];
  };
  qualificationWindowDays: number;
  reviewPeriodDays: number;
  downgradePolicy: DowngradePolicy;
  atRiskNoticeDays: number;
  activity: { lateActivityLimitDays: number };
  status: { silentAfterDays: number; churnedAfterDays: number };
  winback: { offerDays: number[]; conversionWindowDays: number };
  /** Coins (docs/rules.md#coins): see shared/coins/programme.ts and docs/programme.md. */
  coins: CoinsProgram;
  segments: SegmentDefinition[];
  /** The acquisition channels counted by name; the rest count as `other`. */
  acquisitionChannels: string[];
}

/** The member facts a segment rule is evaluated on. */
export interface SegmentFacts {
  tier: string;
  qualifyingPoints: number;
  lifetimePoints: number;
  status: MemberStatus;
  rfmSegment: RfmClass | null;
  activeDays: number;
  acquisitionChannel: string | null;
  monetaryCents: number;
  daysSinceLastPurchase: number | null;
}
