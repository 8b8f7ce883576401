import { describe, expect, it } from 'vitest';
import { defaultProgram } from '../../shared/programme/load';
import { parseProgram } from '../../shared/programme/schema';
import { type SegmentFacts } from '../../shared/programme/vocabulary';
import { allSegments, builtInSegments, memberSegments, segmentById, segmentDiff } from '../../shared/segments/segments';

const program = defaultProgram(); // default tiers + the two example custom segments

const facts: SegmentFacts = {
  tier: 'member',
  qualifyingPoints: 0,
  lifetimePoints: 0,
  status: 'active',
  rfmSegment: null,
  activeDays: 1,
  acquisitionChannel: null,
  monetaryCents: 0,
  daysSinceLastPurchase: null,
};

describe('catalogue', () => {
  it('lists tiers, statuses and RFM classes, in that order', () => {
    expect(builtInSegments(program).map((s) => s.id)).toEqual([
      'tier-member',
      'tier-silver',
      'tier-gold',
      'tier-platinum',
      'status-active',
      'status-silent',
      'status-churned',
      'rfm-important-value',
      'rfm-important-develop',
      'rfm-important-keep',
      'rfm-important-retain',
      'rfm-general-value',
      'rfm-general-develop',
      'rfm-general-keep',
      'rfm-general-retain',
    ]);
    for (const s of builtInSegments(program)) expect(s.name).not.toBe('');
  });

  it('follows the programme tiers', () => {
    const p = parseProgram({
      tiers: [
        { id: 'basic', threshold: 0 },
        { id: 'vip', threshold: 10 },
      ],
    });
    const tiers = builtInSegments(p).filter((s) => s.id.startsWith('tier-'));
    expect(tiers.map((s) => s.id)).toEqual(['tier-basic', 'tier-vip']);
  });

  it('appends the custom segments, with their rules', () => {
    const all = allSegments(program);
    expect(all.length).toBe(15 + 2);
    expect(all.slice(15).map((s) => s.id)).toEqual(['gold-and-up-silent', 'high-spend-weibo']);
    expect(new Set(all.map((s) => s.id)).size).toBe(all.length);
  });

  it('finds a segment by id', () => {
    expect(segmentById(program, 'status-silent')?.name).toMatch(/Silent/);
    expect(segmentById(program, 'high-spend-weibo')).toMatchObject({ name: 'Weibo-acquired high spenders' });
    expect(segmentById(program, 'rfm-general-keep')?.name).toMatch(/一般保持/);
    expect(segmentById(program, 'tier-diamond')).toBeUndefined();
    expect(segmentById(program, 'nope')).toBeUndefined();
  });
});

describe('memberSegments', () => {
  it('a new member: its tier and status only', () => {
    expect(memberSegments(program, facts)).toEqual(['tier-member', 'status-active']);
  });

  it('adds the RFM class and matching custom segments', () => {
    const f: SegmentFacts = {
      ...facts,
      tier: 'platinum',
      status: 'silent',
      rfmSegment: 'important-keep',
      acquisitionChannel: 'weibo',
      daysSinceLastPurchase: 40,
    };
    expect(memberSegments(program, f)).toEqual([
      'tier-platinum',
      'status-silent',
      'rfm-important-keep',
      'gold-and-up-silent',
      'high-spend-weibo',
    ]);
    expect(memberSegments(program, { ...f, tier: 'silver', rfmSegment: 'general-keep' })).toEqual([
      'tier-silver',
      'status-silent',
      'rfm-general-keep',
    ]);
  });

  it('only ids of the catalogue: an unknown tier puts the member in no tier segment', () => {
    const ids = memberSegments(program, { ...facts, tier: 'retired-tier', status: 'churned' });
    expect(ids).toEqual(['status-churned']);
    for (const id of ids) expect(segmentById(program, id)).toBeDefined();
  });
});

describe('segmentDiff', () => {
  it('names the segments entered and exited', () => {
    expect(segmentDiff(['tier-member', 'status-active'], ['tier-silver', 'status-active', 'vip'])).toEqual({
      entered: ['tier-silver', 'vip'],
      exited: ['tier-member'],
    });
  });

  it('is empty when nothing changed, whatever the order or repeats', () => {
    expect(segmentDiff(['a', 'b'], ['b', 'a', 'a'])).toEqual({ entered: [], exited: [] });
    expect(segmentDiff([], [])).toEqual({ entered: [], exited: [] });
  });

  it('from and to nothing', () => {
    expect(segmentDiff([], ['a', 'a', 'b'])).toEqual({ entered: ['a', 'b'], exited: [] });
    expect(segmentDiff(['a', 'b'], [])).toEqual({ entered: [], exited: ['a', 'b'] });
  });
});
