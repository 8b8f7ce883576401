// The operator merge over the in-memory pipeline (docs/architecture.md#operator-merge): two members
// (one with an anonymous id linked to it) merged into one; every figure equals the oracle that
// applies the final identity graph — the merge included — to all events from the start; points,
// coins, tier and orders move; the merge applies once per mergeId whatever is repeated or retried;
// later events of the member merged away apply to the member it was merged into.
import { describe, expect, it } from 'vitest';
import { buildActivityOracle, type OracleEvent, type OracleMerge } from '../../harness/oracle/activity-oracle';
import { MemoryPipeline } from '../support/memory-pipeline';
import { ShardedStream } from '../support/sharded-stream';
import { visitorKey } from '../../shared/identity/keys';
import { programRow } from '../../shared/metrics/read';
import { TOTALS_KEY } from '../../shared/keys/metrics-keys';
import { dayNumber } from '../../shared/days/days';
import { memberView } from '../../shared/member/view';

const FROM = '2027-05-01';
const TO = '2027-05-31';
let n = 0;
const at = (day: number, hour = 10) => `2027-05-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00+08:00`;
const ev = (fields: Partial<OracleEvent> & { type: OracleEvent['type'] }, day: number, hour = 10): OracleEvent =>
  ({ eventId: `m${++n}`, occurredAt: at(day, hour), ...fields }) as OracleEvent;
const purchase = (who: { memberId?: string; anonymousId?: string }, day: number, orderId: string, cents: number) =>
  ev({ type: 'purchase', ...who, channel: 'store', orderId, lines: [{ sku: 's', category: 'food', amountCents: cents }] }, day);
const refund = (who: { memberId: string }, day: number, orderId: string, cents: number) =>
  ev({ type: 'refund', ...who, channel: 'store', orderId, lines: [{ sku: 's', amountCents: cents }] }, day);
const lines = (events: readonly OracleEvent[]) => events.map((e) => JSON.stringify(e));
const decode = (data: Uint8Array) => JSON.parse(new TextDecoder().decode(data)) as { type: string };

function expectOracle(stream: ShardedStream, events: readonly OracleEvent[], merges: readonly OracleMerge[]) {
  const oracle = buildActivityOracle(events, 'Asia/Shanghai', merges);
  const daily = stream.pipeline.daily(FROM, TO);
  expect(daily).toEqual(oracle.daily(FROM, TO));
  expect(stream.pipeline.retention(FROM, TO)).toEqual(oracle.retention(FROM, TO));
  expect(stream.pipeline.sessions(FROM, TO)).toEqual(oracle.sessions(FROM, TO));
  expect(stream.pipeline.retentionByChannel(FROM, TO)).toEqual(oracle.retentionByChannel(FROM, TO));
  expect(daily.map((d) => stream.pipeline.customers(d.day))).toEqual(daily.map((d) => oracle.customers(d.day)));
}

const totals = (pipeline: MemoryPipeline) => programRow(pipeline.program, pipeline.metrics.sum(TOTALS_KEY), [], dayNumber('2027-06-01'));

/**
 * Keep (K) and Gone (G): both active on days 3 and 4, G earlier (it joined first) with a card it was
 * seen under before joining; G's points (1200) make it silver, K's (800) do not; then more events.
 */
function story() {
  const K = { memberId: 'K1' };
  const G = { memberId: 'G1' };
  const card = { anonymousId: 'card:77' };
  return {
    before: [
      ev({ type: 'app_open', ...card }, 1),
      ev({ type: 'signup', ...G, acquisitionChannel: 'sem' }, 2),
      ev({ type: 'identify', ...G, ...card }, 2, 11),
      purchase(G, 3, 'g-o1', 120_000),
      ev({ type: 'session_end', ...G, durationSeconds: 60, pageViews: 4 }, 3),
      ev({ type: 'signup', ...K, acquisitionChannel: 'weibo' }, 3),
      purchase(K, 4, 'k-o1', 80_000),
      ev({ type: 'app_open', ...G }, 4),
      purchase(card, 5, 'guest-1', 3_000),
      ev({ type: 'page_view', ...K }, 6),
    ],
    /** After the merge: G's own ids keep sending; a refund of G's pre-merge order, under each id. */
    after: [
      ev({ type: 'app_open', ...G }, 8),
      purchase(G, 8, 'g-o2', 10_000),
      ev({ type: 'app_open', ...card }, 9),
      refund(G, 9, 'g-o1', 20_000),
      refund(K, 10, 'g-o1', 10_000),
      ev({ type: 'page_view', ...K }, 10),
    ],
  };
}

async function mergedStream(wrap?: ConstructorParameters<typeof ShardedStream>[2]) {
  const s = story();
  const stream = new ShardedStream(new MemoryPipeline(), 3, wrap);
  stream.put(lines(s.before));
  await stream.drain();
  return { s, stream };
}

const MERGES: OracleMerge[] = [{ into: 'K1', from: 'G1' }];

describe('operator merge over the in-memory pipeline', () => {
  it('moves ids, activity, orders, points, coins and tier into the member kept; every figure as the oracle', async () => {
    const { s, stream } = await mergedStream();
    const p = stream.pipeline;
    expect(totals(p).members).toBe(2);
    const gone = structuredClone(p.member('G1')!);
    const kept = structuredClone(p.member('K1')!);
    expect(gone.coins.lots.length).toBe(1);
    expect(p.program.tiers[gone.tier.tier].id).toBe('silver');
    expect(p.program.tiers[kept.tier.tier].id).toBe('member');

    stream.put([p.merge('K1', 'G1', 'mg-1')]);
    await stream.drain();
    expectOracle(stream, s.before, MERGES);
    const k = p.member('K1')!;
    const g = p.member('G1')!;
    expect(g.linkedTo).toBe('K1');
    expect(g.segments).toEqual([]);
    expect(k.identities).toEqual(['G1', visitorKey('card:77')]);
    expect(k.joinedOn).toBe(gone.joinedOn < kept.joinedOn ? gone.joinedOn : kept.joinedOn);
    // The person joined as G (on the card's day, through G's sign-up): G's channel, not K's.
    expect(k.acquisitionChannel).toBe('sem');
    expect(k.lifetimePoints).toBe(1200 + 800);
    // Silver from G (the higher), with G's dates: 2000 points do not reach gold.
    expect(p.program.tiers[k.tier.tier].id).toBe('silver');
    expect(k.tier.tierSince).toBe(gone.tier.tierSince);
    expect(k.tier.tierReviewOn).toBe(gone.tier.tierReviewOn);
    // Its tier history: silver since G reached it.
    expect(await p.ledger.tierHistory('K1')).toEqual([{ kind: 'upgrade', reason: 'merge', from: 0, to: 1, day: gone.tier.tierSince }]);
    // Lots keep their dates and expiry.
    expect(k.coins.lots.map(({ seq, availableOn, expiresOn, left }) => ({ seq, availableOn, expiresOn, left }))).toEqual(
      [...kept.coins.lots, ...gone.coins.lots]
        .map(({ seq, availableOn, expiresOn, left }) => ({ seq, availableOn, expiresOn, left }))
        .sort((a, b) => a.expiresOn - b.expiresOn || a.seq - b.seq),
    );
    expect(k.purchases.reduce((sum, x) => sum + x.orders, 0)).toBe(3);
    const view = memberView(p.program, k, dayNumber('2027-05-07'));
    expect(view.identities).toEqual(['card:77']);
    expect(view.mergedMembers).toEqual(['G1']);
    // One member less, counted once in its tier; G out of every segment.
    const program = totals(p);
    expect(program.members).toBe(1);
    expect(Object.values(program.byTier).reduce((a, b) => a + b, 0)).toBe(1);
    expect(program.byTier.silver).toBe(1);
    expect([...p.segments.members.values()].filter((m) => m.has('G1'))).toEqual([]);
    const merged = [...p.actions.byId.values()].filter((a) => a.type === 'member_merged');
    expect(merged).toEqual([
      expect.objectContaining({ memberId: 'K1', details: expect.objectContaining({ fromMemberId: 'G1', mergeId: 'mg-1' }) }),
    ]);
    expect(p.quarantine.items.size).toBe(0);

    // Later events of G and of its card apply to K: full points and coins for G's purchase, the
    // refunds of G's pre-merge order found under either id.
    stream.put(lines(s.after));
    await stream.drain();
    expectOracle(stream, [...s.before, ...s.after], MERGES);
    const after = p.member('K1')!;
    expect(after.lifetimePoints).toBe(2000 + 100 - 200 - 100);
    expect(after.coins.lots.length).toBe(kept.coins.lots.length + gone.coins.lots.length + 1);
    expect(p.member('G1')!.version).toBe(g.version);
    expect(p.quarantine.items.size).toBe(0);
  });

  it('same first day, both through a visitor: the member kept keeps the channel it took from its visitor (chaos seed 11, m00746)', async () => {
    // G's visitor signed up first that day (sem), K's visitor hours later (wechat); each identified.
    const events = [
      ev({ type: 'signup', anonymousId: 'wx:g', channel: 'app', acquisitionChannel: 'sem' }, 3, 7),
      ev({ type: 'signup', anonymousId: 'wx:k', channel: 'app', acquisitionChannel: 'wechat' }, 3, 10),
      ev({ type: 'identify', memberId: 'K2', anonymousId: 'wx:k' }, 5),
      ev({ type: 'identify', memberId: 'G2', anonymousId: 'wx:g' }, 6),
      ev({ type: 'app_open', memberId: 'K2' }, 6),
      ev({ type: 'app_open', memberId: 'G2' }, 7),
    ];
    const stream = new ShardedStream(new MemoryPipeline(), 3);
    stream.put(lines(events));
    await stream.drain();
    const p = stream.pipeline;
    expect([p.member('K2')!.acquisitionChannel, p.member('G2')!.acquisitionChannel]).toEqual(['wechat', 'sem']);
    stream.put([p.merge('K2', 'G2', 'mg-same-day')]);
    await stream.drain();
    expect(p.member('K2')!.acquisitionChannel).toBe('wechat');
    expectOracle(stream, events, [{ into: 'K2', from: 'G2' }]);
  });

  it('combined points that support more than either member held upgrade the member kept (recorded as a merge)', async () => {
    const p = new MemoryPipeline();
    const stream = new ShardedStream(p, 3);
    const events = [purchase({ memberId: 'A1' }, 2, 'a-1', 60_000), purchase({ memberId: 'B1' }, 3, 'b-1', 50_000)];
    stream.put(lines(events));
    await stream.drain();
    expect([p.member('A1')!.tier.tier, p.member('B1')!.tier.tier]).toEqual([0, 0]);
    stream.put([p.merge('A1', 'B1', 'mg-2')]);
    await stream.drain();
    expect(p.program.tiers[p.member('A1')!.tier.tier].id).toBe('silver');
    expect([...p.actions.byId.values()].filter((a) => a.type === 'tier_upgraded').map((a) => a.details)).toEqual([
      { from: 'member', to: 'silver', reason: 'merge' },
    ]);
    expect(await p.ledger.tierHistory('A1')).toEqual([expect.objectContaining({ kind: 'upgrade', reason: 'merge', from: 0, to: 1 })]);
    expect(totals(p).byTier).toMatchObject({ member: 0, silver: 1 });
    expectOracle(stream, events, [{ into: 'A1', from: 'B1' }]);
  });

  it('applies once per mergeId: the command repeated, the absorb forwarded twice, a crash before the forward', async () => {
    const s = story();
    let crashes = 0;
    const stream = new ShardedStream(new MemoryPipeline(), 3, (ports) => ({
      forward: {
        put: async (records) => {
          const absorb = records.some((r) => decode(r.data).type === 'identity_absorb');
          // The first time: crash after G's mark is written, before its absorb is put.
          if (absorb && crashes++ === 0) throw new Error('crash after the member write, before the forward');
          await ports.forward!.put(records);
          await ports.forward!.put(records);
        },
      },
    }));
    stream.put(lines(s.before));
    await stream.drain();
    const command = stream.pipeline.merge('K1', 'G1', 'mg-3');
    stream.put([command, command]);
    await stream.drain();
    stream.put([command]);
    await stream.drain();
    expect(crashes).toBeGreaterThan(1);
    const k = stream.pipeline.member('K1')!;
    expect(k.identities).toEqual(['G1', visitorKey('card:77')]);
    expect(k.lifetimePoints).toBe(2000);
    expect([...stream.pipeline.actions.byId.values()].filter((a) => a.type === 'member_merged')).toHaveLength(1);
    expect(stream.forwarded.filter((r) => decode(r.data).type === 'identity_absorb').length).toBeGreaterThan(2);
    stream.put(lines(s.after));
    await stream.drain();
    expect(stream.pipeline.member('K1')!.lifetimePoints).toBe(1800);
    expectOracle(stream, [...s.before, ...s.after], MERGES);
    expect(stream.pipeline.quarantine.items.size).toBe(0);
  });

  it('a forwarded event delivered twice, and a replayed event of the member merged away, apply once', async () => {
    const { s, stream } = await mergedStream((ports) => ({
      forward: { put: async (records) => (await ports.forward!.put(records), await ports.forward!.put(records)) },
    }));
    stream.put([stream.pipeline.merge('K1', 'G1', 'mg-4')]);
    await stream.drain();
    stream.put(lines(s.after));
    await stream.drain();
    // The whole history again (a replayed file): pre-merge events of G are repeats in K's ring or
    // orders already claimed on G's ledger key.
    stream.put(lines([...s.before, ...s.after]));
    await stream.drain();
    expect(stream.pipeline.member('K1')!.lifetimePoints).toBe(1800);
    expect(stream.pipeline.member('K1')!.purchases.reduce((sum, x) => sum + x.orders, 0)).toBe(4);
    expectOracle(stream, [...s.before, ...s.after], MERGES);
  });

  it('refuses a merge command the api did not accept (merge_not_requested) and changes nothing', async () => {
    const { stream } = await mergedStream();
    const before = structuredClone(stream.pipeline.member('G1'));
    const forged = { eventId: 'member_merge:x', type: 'member_merge', memberId: 'G1', into: 'K1', mergeId: 'x', occurredAt: at(6) };
    stream.put([JSON.stringify(forged)]);
    // A stored request of another merge does not make this one valid either.
    stream.pipeline.merges.items.set('G1', { mergeId: 'other', into: 'K1', from: 'G1', requestedAt: at(6), requestedBy: 't' });
    stream.put([JSON.stringify({ ...forged, eventId: 'member_merge:y', mergeId: 'y' })]);
    await stream.drain();
    expect([...stream.pipeline.quarantine.items.values()].map((q) => q.reason)).toEqual(['merge_not_requested', 'merge_not_requested']);
    expect({ ...stream.pipeline.member('G1'), version: 0 }).toEqual({ ...before, version: 0 });
    expect(stream.pipeline.member('K1')!.identities).toEqual([]);
  });

  it('follows a chain: G merged into K, then K into Z — G’s later events land on Z', async () => {
    const { s, stream } = await mergedStream();
    const p = stream.pipeline;
    const z = [ev({ type: 'signup', memberId: 'Z1' }, 7)];
    stream.put(lines(z));
    stream.put([p.merge('K1', 'G1', 'mg-5')]);
    await stream.drain();
    stream.put([p.merge('Z1', 'K1', 'mg-6')]);
    await stream.drain();
    stream.put(lines(s.after));
    await stream.drain();
    expect(p.member('Z1')!.identities).toEqual(['K1', 'G1', visitorKey('card:77')]);
    expect(p.member('Z1')!.lifetimePoints).toBe(1800);
    expect(totals(p).members).toBe(1);
    expectOracle(stream, [...s.before, ...z, ...s.after], [...MERGES, { into: 'Z1', from: 'K1' }]);
    expect(p.quarantine.items.size).toBe(0);
  });
});
