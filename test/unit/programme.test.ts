import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProgramError, parseProgram } from '../../shared/programme/schema';
import { defaultProgram, loadProgram, resetProgramCache } from '../../shared/programme/load';
import { matchesRule } from '../../shared/programme/rules';
import { DEFAULT_ACQUISITION_CHANNELS, type SegmentFacts } from '../../shared/programme/vocabulary';

const defaultsFromContract = {
  timezone: 'Asia/Shanghai',
  tiers: [
    { id: 'member', threshold: 0 },
    { id: 'silver', threshold: 1000 },
    { id: 'gold', threshold: 5000 },
    { id: 'platinum', threshold: 15000 },
  ],
  earning: {
    pointsPerYuan: 1,
    minimumEligibleCents: 100,
    earningChannels: ['store', 'app', 'mini_program'],
    excludedCategories: ['gift_card'],
  },
  qualificationWindowDays: 365,
  reviewPeriodDays: 365,
  downgradePolicy: 'one_down',
  atRiskNoticeDays: 30,
  activity: { lateActivityLimitDays: 60 },
  status: { silentAfterDays: 30, churnedAfterDays: 90 },
  winback: { offerDays: [30, 60], conversionWindowDays: 14 },
  coins: {
    fenPerCoin: 1,
    earnRates: { member: 1, silver: 2, gold: 3, platinum: 5 },
    pendingDays: 7,
    expiryDays: 365,
    expiryNoticeDays: 30,
    allowDebt: true,
  },
  acquisitionChannels: DEFAULT_ACQUISITION_CHANNELS,
};

function problem(json: unknown): string {
  try {
    parseProgram(json);
  } catch (e) {
    expect(e).toBeInstanceOf(ProgramError);
    return (e as Error).message;
  }
  throw new Error('expected the programme to be rejected');
}

const withTiers = (...thresholds: number[]) => ({
  tiers: thresholds.map((threshold, i) => ({ id: `t${i}`, threshold })),
});
const withRule = (rule: unknown, id = 'seg') => ({ segments: [{ id, name: 'A segment', rule }] });

describe('parseProgram', () => {
  it('fills every default from {}', () => {
    expect(parseProgram({})).toEqual({ ...defaultsFromContract, segments: [] });
  });

  it('fills nested defaults field by field', () => {
    const p = parseProgram({ earning: { pointsPerYuan: 2 }, status: { silentAfterDays: 20 } });
    expect(p.earning).toEqual({ ...defaultsFromContract.earning, pointsPerYuan: 2 });
    expect(p.status).toEqual({ silentAfterDays: 20, churnedAfterDays: 90 });
  });

  it('the default file is the contract defaults plus example segments', () => {
    const p = defaultProgram();
    expect(p).toMatchObject(defaultsFromContract);
    expect(p.segments.map((s) => s.id)).toEqual(['gold-and-up-silent', 'high-spend-weibo']);
    expect(Object.isFrozen(p.tiers[0])).toBe(true);
    const raw = JSON.parse(readFileSync(new URL('../../programme/default.json', import.meta.url), 'utf8'));
    expect(parseProgram(raw)).toEqual(p);
  });

  it('names the bad field path', () => {
    expect(
      problem({
        tiers: [
          { id: 'member', threshold: 0 },
          { id: 'silver', threshold: 1000 },
          { id: 'gold', threshold: -5 },
        ],
      }),
    ).toBe('programme.tiers[2].threshold: must be a non-negative integer');
    expect(
      problem({
        tiers: [
          { id: 'member', threshold: 0 },
          { id: 'silver', threshold: 1.5 },
        ],
      }),
    ).toBe('programme.tiers[1].threshold: must be a non-negative integer');
    expect(problem({ earning: { pointsPerYuan: 0 } })).toBe('programme.earning.pointsPerYuan: must be a positive integer');
    expect(problem({ qualificationWindowDays: '365' })).toBe('programme.qualificationWindowDays: must be a positive integer');
    expect(problem({ downgradePolicy: 'two_down' })).toMatch(/^programme\.downgradePolicy: must be one of one_down, balance_based$/);
    expect(problem({ timezone: 'Mars/Olympus' })).toMatch(/^programme\.timezone: /);
    expect(problem({ earning: { earningChannels: ['store', 'web'] } })).toMatch(
      /^programme\.earning\.earningChannels\[1\]: must be one of/,
    );
    expect(problem({ earning: { earningChannels: ['store', 'store'] } })).toMatch(/^programme\.earning\.earningChannels: /);
    expect(problem([])).toBe('programme: must be a JSON object');
    expect(problem(null)).toBe('programme: must be a JSON object');
  });

  it('rejects unknown fields (typos must not fall back to defaults)', () => {
    expect(problem({ qualificationWindowDay: 30 })).toBe('programme.qualificationWindowDay: unknown field');
    expect(problem({ earning: { pointPerYuan: 2 } })).toBe('programme.earning.pointPerYuan: unknown field');
  });

  it('checks the tier ladder', () => {
    expect(problem(withTiers(10, 1000))).toBe('programme.tiers[0].threshold: the first (base) tier must have threshold 0');
    expect(problem(withTiers(0, 1000, 1000))).toMatch(/^programme\.tiers\[2\]\.threshold: must be greater/);
    expect(problem(withTiers(0, 1000, 500))).toMatch(/^programme\.tiers\[2\]\.threshold: must be greater/);
    expect(problem({ tiers: [] })).toBe('programme.tiers: must list at least one tier');
    expect(problem({ tiers: [{ id: 'Member', threshold: 0 }] })).toBe('programme.tiers[0].id: must match [a-z0-9-]+');
    expect(
      problem({
        tiers: [
          { id: 'a', threshold: 0 },
          { id: 'a', threshold: 5 },
        ],
      }),
    ).toBe('programme.tiers[1].id: duplicate tier id "a"');
    expect(parseProgram(withTiers(0)).tiers).toEqual([{ id: 't0', threshold: 0 }]);
  });

  it('checks status and win-back ordering', () => {
    expect(problem({ status: { silentAfterDays: 30, churnedAfterDays: 30 } })).toBe(
      'programme.status.churnedAfterDays: must be greater than silentAfterDays',
    );
    expect(problem({ winback: { offerDays: [60, 30] } })).toBe(
      'programme.winback.offerDays[1]: must be greater than the previous offer day',
    );
  });

  it('reports several problems at once', () => {
    const e = (() => {
      try {
        parseProgram({ atRiskNoticeDays: -1, reviewPeriodDays: 0 });
      } catch (err) {
        return err as ProgramError;
      }
    })();
    expect(e?.problems).toEqual([
      'programme.reviewPeriodDays: must be a positive integer',
      'programme.atRiskNoticeDays: must be a non-negative integer',
    ]);
  });
});

describe('segment rules', () => {
  it('accepts nested all/any rules', () => {
    const p = parseProgram(
      withRule({
        any: [
          {
            all: [
              { field: 'tier', op: 'gte', value: 'gold' },
              { field: 'status', op: 'eq', value: 'silent' },
            ],
          },
          { field: 'daysSinceLastPurchase', op: 'eq', value: null },
          { field: 'qualifyingPoints', op: 'in', value: [1, 2, 3] },
        ],
      }),
    );
    expect(p.segments).toHaveLength(1);
  });

  it('names the bad path inside a nested rule', () => {
    expect(problem(withRule({ all: [{ any: [{ field: 'nope', op: 'eq', value: 1 }] }] }))).toMatch(
      /^programme\.segments\[0\]\.rule\.all\[0\]\.any\[0\]\.field: must be one of tier, qualifyingPoints/,
    );
    expect(problem(withRule({ all: [{ field: 'status', op: 'between', value: 'x' }] }))).toMatch(
      /^programme\.segments\[0\]\.rule\.all\[0\]\.op: must be one of eq, ne/,
    );
    expect(problem(withRule({ any: [] }))).toBe('programme.segments[0].rule.any: must list at least one rule');
    expect(problem(withRule(5))).toMatch(/^programme\.segments\[0\]\.rule: must be a rule/);
    expect(problem(withRule({ all: [{ field: 'tier', op: 'eq', value: 'gold', extra: 1 }] }))).toBe(
      'programme.segments[0].rule.all[0].extra: unknown field',
    );
  });

  it('validates ops and values per field', () => {
    expect(problem(withRule({ field: 'status', op: 'gt', value: 'silent' }))).toBe(
      'programme.segments[0].rule.op: field status supports only eq, ne, in',
    );
    expect(problem(withRule({ field: 'status', op: 'eq', value: 'asleep' }))).toMatch(
      /^programme\.segments\[0\]\.rule\.value: must be one of active/,
    );
    expect(problem(withRule({ field: 'rfmSegment', op: 'in', value: ['important-value', 'vip'] }))).toMatch(
      /^programme\.segments\[0\]\.rule\.value: must be one of important-value/,
    );
    expect(problem(withRule({ field: 'monetaryCents', op: 'gte', value: '100' }))).toBe(
      'programme.segments[0].rule.value: field monetaryCents compares with numbers',
    );
    expect(problem(withRule({ field: 'monetaryCents', op: 'in', value: [] }))).toBe(
      'programme.segments[0].rule.value: op "in" needs a non-empty array',
    );
    expect(problem(withRule({ field: 'monetaryCents', op: 'eq', value: [1] }))).toBe(
      'programme.segments[0].rule.value: op "eq" needs a single value, not an array',
    );
    expect(problem(withRule({ field: 'lifetimePoints', op: 'eq', value: null }))).toBe(
      'programme.segments[0].rule.value: field lifetimePoints is never null',
    );
    expect(problem(withRule({ field: 'daysSinceLastPurchase', op: 'gt', value: null }))).toBe(
      'programme.segments[0].rule.value: op "gt" cannot compare with null',
    );
    expect(problem(withRule({ field: 'tier', op: 'gte', value: 'diamond' }))).toBe(
      'programme.segments[0].rule.value: unknown tier "diamond"',
    );
  });

  it('validates segment ids', () => {
    expect(problem(withRule({ field: 'tier', op: 'eq', value: 'gold' }, 'tier-gold'))).toMatch(
      /^programme\.segments\[0\]\.id: must not start with a built-in prefix/,
    );
    expect(problem(withRule({ field: 'tier', op: 'eq', value: 'gold' }, 'Gold'))).toBe('programme.segments[0].id: must match [a-z0-9-]+');
    const seg = { id: 'a', name: 'A', rule: { field: 'tier', op: 'eq', value: 'gold' } };
    expect(problem({ segments: [seg, seg] })).toBe('programme.segments[1].id: duplicate segment id "a"');
  });

  it('matchesRule evaluates the example segments', () => {
    const p = defaultProgram();
    const facts: SegmentFacts = {
      tier: 'gold',
      qualifyingPoints: 6000,
      lifetimePoints: 9000,
      status: 'silent',
      rfmSegment: 'general-keep',
      activeDays: 40,
      acquisitionChannel: 'weibo',
      monetaryCents: 150_000,
      daysSinceLastPurchase: 45,
    };
    const [goldSilent, weibo] = p.segments;
    expect(matchesRule(p, goldSilent.rule, facts)).toBe(true);
    expect(matchesRule(p, goldSilent.rule, { ...facts, tier: 'platinum', status: 'churned' })).toBe(true);
    expect(matchesRule(p, goldSilent.rule, { ...facts, tier: 'silver' })).toBe(false);
    expect(matchesRule(p, goldSilent.rule, { ...facts, status: 'active' })).toBe(false);
    expect(matchesRule(p, weibo.rule, facts)).toBe(false);
    expect(matchesRule(p, weibo.rule, { ...facts, monetaryCents: 200_000 })).toBe(true);
    expect(matchesRule(p, weibo.rule, { ...facts, rfmSegment: 'important-keep' })).toBe(true);
    expect(matchesRule(p, weibo.rule, { ...facts, acquisitionChannel: null, monetaryCents: 500_000 })).toBe(false);
  });

  it('matchesRule: null facts', () => {
    const p = defaultProgram();
    const facts = { daysSinceLastPurchase: null } as unknown as SegmentFacts;
    expect(matchesRule(p, { field: 'daysSinceLastPurchase', op: 'eq', value: null }, facts)).toBe(true);
    expect(matchesRule(p, { field: 'daysSinceLastPurchase', op: 'gt', value: 10 }, facts)).toBe(false);
    expect(matchesRule(p, { field: 'daysSinceLastPurchase', op: 'lte', value: 10 }, facts)).toBe(false);
    expect(matchesRule(p, { field: 'daysSinceLastPurchase', op: 'ne', value: 10 }, facts)).toBe(true);
  });
});

describe('loadProgram', () => {
  afterEach(() => resetProgramCache());

  it('defaults to programme/default.json', () => {
    expect(loadProgram({})).toEqual(defaultProgram());
  });

  it('prefers MEMBERFLOW_PROGRAM_JSON, then MEMBERFLOW_PROGRAM', () => {
    const dir = mkdtempSync(join(tmpdir(), 'memberflow-programme-'));
    const file = join(dir, 'p.json');
    writeFileSync(file, JSON.stringify({ downgradePolicy: 'balance_based' }));
    expect(loadProgram({ MEMBERFLOW_PROGRAM: file }).downgradePolicy).toBe('balance_based');
    resetProgramCache();
    const both = { MEMBERFLOW_PROGRAM: file, MEMBERFLOW_PROGRAM_JSON: JSON.stringify({ atRiskNoticeDays: 7 }) };
    const p = loadProgram(both);
    expect(p.atRiskNoticeDays).toBe(7);
    expect(p.downgradePolicy).toBe('one_down');
  });

  it('caches', () => {
    const a = loadProgram({ MEMBERFLOW_PROGRAM_JSON: '{"atRiskNoticeDays": 7}' });
    expect(loadProgram({})).toBe(a);
    resetProgramCache();
    expect(loadProgram({}).atRiskNoticeDays).toBe(30);
  });

  it('reports unreadable or invalid sources', () => {
    expect(() => loadProgram({ MEMBERFLOW_PROGRAM_JSON: '{nope' })).toThrow(/MEMBERFLOW_PROGRAM_JSON: not valid JSON/);
    expect(() => loadProgram({ MEMBERFLOW_PROGRAM: '/nonexistent/p.json' })).toThrow(/MEMBERFLOW_PROGRAM: cannot read/);
    expect(() => loadProgram({ MEMBERFLOW_PROGRAM_JSON: '{"reviewPeriodDays": 0}' })).toThrow(
      'programme.reviewPeriodDays: must be a positive integer',
    );
  });
});

describe('programme coins section', () => {
  it('names the bad coin fields by path', () => {
    expect(problem({ acquisitionChannels: ['sem', 'sem'] })).toBe('programme.acquisitionChannels: must not repeat a channel');
    expect(problem({ acquisitionChannels: ['other'] })).toBe(
      'programme.acquisitionChannels: must not name "other" or "unknown" (counted apart)',
    );
    expect(problem({ acquisitionChannels: Array.from({ length: 51 }, (_, i) => `c${i}`) })).toBe(
      'programme.acquisitionChannels: must name at most 50 channels (the rest count as "other")',
    );
    expect(problem({ coins: { fenPerCoin: 0 } })).toBe('programme.coins.fenPerCoin: must be a positive integer');
    expect(problem({ coins: { earnRates: { gold: -1 } } })).toBe('programme.coins.earnRates.gold: must be a non-negative integer');
    expect(problem({ coins: { earnRates: { member: 1, diamond: 7 } } })).toBe('programme.coins.earnRates.diamond: unknown tier "diamond"');
    expect(problem({ coins: { expiryDays: 20 } })).toBe('programme.coins.expiryNoticeDays: must be less than expiryDays');
    expect(problem({ coins: { allowDebt: 1 } })).toBe('programme.coins.allowDebt: must be true or false');
    expect(problem({ coins: { extra: 1 } })).toBe('programme.coins.extra: unknown field');
  });

  it('a programme with its own tiers and no coins section loads', () => {
    const p = parseProgram({
      tiers: [
        { id: 'basic', threshold: 0 },
        { id: 'vip', threshold: 10 },
      ],
    });
    expect(p.coins.pendingDays).toBe(7);
  });
});
