// The batch reduces a member on one copy per batch, behaviour events in place (#16 item 4). These
// tests hold it to the reference — a copy of the member per record — on the same stored state and
// ledger: the same result (final state, each record's deltas, actions, claims, coin entries,
// rejections), and when the rules throw on a record, the same rejection and the records around it
// applied once.
import { describe, expect, it } from 'vitest';
import { decodeBatch } from '../../shared/batch/decode';
import { reduceMember, type MemberResult } from '../../shared/batch/reduce-member';
import type { StreamRecord } from '../../shared/batch/process-batch';
import { dayNumber } from '../../shared/days/days';
import { dayKey } from '../../shared/keys/metrics-keys';
import type { OrderRecord } from '../../shared/member/ledger';
import { COUNTER } from '../../shared/metrics/catalogue';
import type { MemberState } from '../../shared/member/state';
import { eventsToJsonLines, simulate } from '../../simulator';
import { clone, MemoryLedger } from '../support/memory-ports';
import { MemoryPipeline } from '../support/memory-pipeline';

/** A ledger with the same orders as `from` (its own copies). */
function copyLedger<T extends MemoryLedger>(from: MemoryLedger, into: T): T {
  for (const [key, order] of from.orders) into.orders.set(key, clone(order));
  return into;
}

async function bothWays(
  pipeline: MemoryPipeline,
  lines: readonly string[],
  ledgerOf: () => MemoryLedger = () => new MemoryLedger(),
): Promise<[MemberResult, MemberResult][]> {
  const { byMember } = await decodeBatch(pipeline.records(lines), { canForward: false });
  const out: [MemberResult, MemberResult][] = [];
  for (const [memberId, records] of byMember) {
    const stored = pipeline.member(memberId) ?? null;
    const run = (inPlace: boolean) => {
      const ports = pipeline.ports({ ledger: copyLedger(pipeline.ledger, ledgerOf()) });
      const state: MemberState | null = stored && clone(stored);
      return reduceMember(memberId, state, records, ports, new Map(), new Map(), inPlace);
    };
    const inPlace = await run(true);
    const reference = await run(false);
    out.push([inPlace, reference]);
    // The stored state is never changed.
    if (stored) expect(pipeline.member(memberId)).toEqual(stored);
  }
  return out;
}

/** m1's records reduced in place and by the reference, each from m1's stored state. */
async function m1BothWays(pipeline: MemoryPipeline, records: StreamRecord[]): Promise<[MemberResult, MemberResult]> {
  const { byMember } = await decodeBatch(records, { canForward: false });
  const run = (inPlace: boolean) =>
    reduceMember('m1', clone(pipeline.member('m1')!), byMember.get('m1')!, pipeline.ports(), new Map(), new Map(), inPlace);
  return [await run(true), await run(false)];
}

describe('the in-place reduction of a member', () => {
  it('gives what a copy per record gives, batch after batch of a simulated stream', async () => {
    const lines = [...eventsToJsonLines(simulate({ members: 40, days: 25, seed: 11 }))];
    const pipeline = new MemoryPipeline();
    let compared = 0;
    let deltas = 0;
    for (let i = 0; i < lines.length; i += 120) {
      const batch = lines.slice(i, i + 120);
      for (const [inPlace, reference] of await bothWays(pipeline, batch)) {
        expect(inPlace).toEqual(reference);
        compared++;
        for (const s of reference.segments) for (const counters of s.deltas.values()) deltas += counters.size;
      }
      await pipeline.deliver(pipeline.records(batch));
    }
    expect(compared).toBeGreaterThan(200);
    expect(deltas).toBeGreaterThan(1000);
  });

  it('evaluates the segments again for a record that arrived on another day, though it changed no activity', async () => {
    // m1 active on 1 May only. Two page views of that day arrive late, on 21 May (still active) and
    // on 10 June (silent: more than 30 days since): the second keeps the activity as it was, but
    // its day is not the one the segments were evaluated for.
    const pipeline = new MemoryPipeline();
    const event = (eventId: string, type: string) =>
      JSON.stringify({ eventId, type, memberId: 'm1', occurredAt: '2027-05-01T10:00:00+08:00', channel: 'app' });
    await pipeline.deliver(pipeline.records([event('a1', 'app_open')]));
    const records = pipeline.records([event('v1', 'page_view'), event('v2', 'page_view')]);
    records[0].arrivedAt = Date.parse('2027-05-21T10:00:00+08:00');
    records[1].arrivedAt = Date.parse('2027-06-10T10:00:00+08:00');
    const [inPlace, reference] = await m1BothWays(pipeline, records);
    expect(inPlace).toEqual(reference);
    expect(inPlace.final?.segments).toContain('status-silent');
    expect(inPlace.actions.map((a) => [a.type, a.day, a.details])).toContainEqual([
      'segment_exited',
      '2027-06-10',
      { segmentId: 'status-active' },
    ]);
  });

  it('evaluates the segments again for a record of the same day that made the member active', async () => {
    // m1 active on 1 May only; on 10 June a page view of 1 May (silent as of that day), then one of
    // 10 June, the same arrival day: the second changes the activity, and the member is active again.
    const pipeline = new MemoryPipeline();
    const event = (eventId: string, type: string, occurredAt: string) =>
      JSON.stringify({ eventId, type, memberId: 'm1', occurredAt, channel: 'app' });
    await pipeline.deliver(pipeline.records([event('a1', 'app_open', '2027-05-01T10:00:00+08:00')]));
    const records = pipeline.records([
      event('v1', 'page_view', '2027-05-01T10:00:00+08:00'),
      event('v2', 'page_view', '2027-06-10T09:00:00+08:00'),
    ]);
    for (const r of records) r.arrivedAt = Date.parse('2027-06-10T10:00:00+08:00');
    const [inPlace, reference] = await m1BothWays(pipeline, records);
    expect(inPlace).toEqual(reference);
    expect(inPlace.final?.segments).toContain('status-active');
    expect(inPlace.actions.map((a) => [a.type, a.details])).toContainEqual(['segment_exited', { segmentId: 'status-silent' }]);
  });

  it('rejects a record the rules throw on as the reference does, the records around it applied once', async () => {
    // A stored order without its sku list: the refund's rules throw a TypeError.
    class CorruptLedger extends MemoryLedger {
      override async getOrder(memberId: string, orderId: string): Promise<OrderRecord | null> {
        const order = await super.getOrder(memberId, orderId);
        return order && { ...order, eligibleSkus: null as never };
      }
    }
    const at = (day: number) => `2027-05-0${day}T10:00:00+08:00`;
    const event = (eventId: string, type: string, day: number, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ eventId, type, memberId: 'm1', occurredAt: at(day), channel: 'app', ...extra });
    const lines = (n: number) => [{ sku: 'a', category: 'shoes', amountCents: n }];
    const pipeline = new MemoryPipeline();
    await pipeline.deliver(pipeline.records([event('p1', 'purchase', 1, { orderId: 'o1', lines: lines(120_000) })]));
    const results = await bothWays(
      pipeline,
      [
        event('a2', 'app_open', 2),
        event('p2', 'purchase', 2, { orderId: 'o2', lines: lines(50_000) }),
        event('r1', 'refund', 3, { orderId: 'o1', lines: [{ sku: 'a', amountCents: 1 }] }),
        event('a4', 'app_open', 4),
      ],
      () => new CorruptLedger(),
    );
    expect(results).toHaveLength(1);
    const [[inPlace, reference]] = results;
    expect(inPlace).toEqual(reference);
    expect(inPlace.rejections.map((r) => [r.event.eventId, r.reason])).toEqual([['r1', 'invalid_event']]);
    // Three records applied, each once: their own deltas, active days 1, 2 and 4 (days 2 and 4 active, the refund's day 3 not).
    const [{ deltas }] = inPlace.segments;
    expect(inPlace.segments).toHaveLength(1);
    const activeOn = (day: string) => deltas.get(dayKey(dayNumber(day)))?.get(COUNTER.dau);
    expect([activeOn('2027-05-02'), activeOn('2027-05-03'), activeOn('2027-05-04')]).toEqual([1, undefined, 1]);
    expect(inPlace.final?.activity.activeDays).toBe(3);
    expect(inPlace.final?.recentEventIds).toHaveLength(4);
  });
});
