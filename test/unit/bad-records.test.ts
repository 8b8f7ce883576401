// No input can make a batch fail (issue 19, item 1): every bad record is quarantined with a reason
// and its original text, the rest of its batch is applied, and a good record's outcome does not
// depend on the bad records around it. A failing port still fails the batch (Lambda retries it).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { processBatch } from '../../shared/batch/process-batch';
import { dayNumber } from '../../shared/days/days';
import { MAX_CENTS, RAW_KEEP_BYTES } from '../../shared/events/events';
import type { OrderRecord } from '../../shared/member/ledger';
import { memberView } from '../../shared/member/view';
import { MemoryLedger } from '../support/memory-ports';
import { MemoryPipeline } from '../support/memory-pipeline';

const AT = '2027-05-01T10:00:00+08:00';
const nested = (levels: number) => '{"a":'.repeat(levels) + '{}' + '}'.repeat(levels);

function purchase(eventId: string, memberId: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    eventId,
    type: 'purchase',
    memberId,
    occurredAt: AT,
    channel: 'app',
    orderId: `o-${eventId}`,
    lines: [{ sku: 'a', category: 'shoes', amountCents: 120_000 }],
    ...extra,
  });
}
const appOpen = (eventId: string, memberId: string, occurredAt = AT) => JSON.stringify({ eventId, type: 'app_open', memberId, occurredAt });
const refundUnknown = (eventId: string, memberId: string, attributes: string) =>
  JSON.stringify({
    eventId,
    type: 'refund',
    memberId,
    occurredAt: AT,
    channel: 'app',
    orderId: 'no-such-order',
    lines: [{ sku: 'a', amountCents: 1 }],
    attributes: 'X',
  }).replace('"X"', attributes);

/** The bad records of issue 19 item 1, and their neighbours in the same family. */
const BAD: Record<string, (memberId: string, n: number) => string> = {
  'line amounts whose sum passes 2^53': (m, n) =>
    purchase(`ovf${n}`, m, {
      lines: [
        { sku: 'a', category: 'c', amountCents: Number.MAX_SAFE_INTEGER - 10 },
        { sku: 'b', category: 'c', amountCents: Number.MAX_SAFE_INTEGER - 10 },
      ],
    }),
  'line amounts each within bounds, summing past them': (m, n) =>
    purchase(`sum${n}`, m, {
      lines: [
        { sku: 'a', category: 'c', amountCents: MAX_CENTS },
        { sku: 'b', category: 'c', amountCents: 1 },
      ],
    }),
  'an amount above the bound': (m, n) => purchase(`big${n}`, m, { shippingCents: MAX_CENTS + 1 }),
  'an unknown-order refund nested 5,000 levels deep': (m, n) => refundUnknown(`deep${n}`, m, nested(5000)),
  'attributes nested 17 levels deep': (m, n) =>
    JSON.stringify({ eventId: `d17${n}`, type: 'app_open', memberId: m, occurredAt: AT, attributes: 'X' }).replace('"X"', nested(16)),
  'occurredAt in year 0000 with a positive offset': (m, n) => appOpen(`y0${n}`, m, '0000-01-01T00:00:00+14:00'),
  'occurredAt in 1999': (m, n) => appOpen(`y1999${n}`, m, '1999-12-31T23:59:59Z'),
  'a command for a day that does not exist': (m, n) =>
    JSON.stringify({ eventId: `cmd${n}`, type: 'tier_review', memberId: m, occurredAt: AT, asOf: '2027-02-30' }),
  'an unknown-order refund': (m, n) => refundUnknown(`ref${n}`, m, '{}'),
  'not JSON': (m, n) => `{"eventId":"nj${n}","memberId":"${m}"`,
};

describe('bad records never fail a batch', () => {
  for (const [name, make] of Object.entries(BAD)) {
    it(`quarantines ${name} with a reason and the original text, and applies the rest of the batch`, async () => {
      const p = new MemoryPipeline();
      const bad = make('m1', 1);
      const records = p.records([purchase('g1', 'm1'), bad, appOpen('g2', 'm2')]);
      const result = await processBatch(records, p.ports());
      expect(result.failedSeqs).toEqual([]);
      expect(result.quarantined).toBe(1);
      const [item] = [...p.quarantine.items.values()];
      expect(item.seq).toBe(records[1].seq);
      expect(item.reason).toMatch(/^(invalid_event|unknown_order|not_json)$/);
      expect(item.detail.length).toBeGreaterThan(0);
      expect(item.raw).toBe(bad.slice(0, RAW_KEEP_BYTES));
      expect(p.member('m1')!.lifetimePoints).toBe(1200);
      expect(p.member('m2')!.activity.activeDays).toBe(1);
    });
  }

  it('names the field and the bound', async () => {
    const p = new MemoryPipeline();
    await processBatch(
      p.records([
        BAD['line amounts each within bounds, summing past them']('m1', 1),
        BAD['occurredAt in 1999']('m1', 2),
        BAD['attributes nested 17 levels deep']('m1', 3),
      ]),
      p.ports(),
    );
    expect([...p.quarantine.items.values()].map((q) => q.detail)).toEqual([
      `lines: amounts add up to more than ${MAX_CENTS}`,
      'occurredAt: must be on or after 2000-01-01T00:00:00Z',
      'attributes: must be nested at most 16 levels deep',
    ]);
  });

  it('keeps the first 2 KiB of a long raw record, cut at a character boundary', async () => {
    const p = new MemoryPipeline();
    const bad = refundUnknown('zh', 'm1', JSON.stringify({ note: '退'.repeat(3000) }));
    await processBatch(p.records([purchase('g1', 'm1'), bad]), p.ports());
    const [item] = [...p.quarantine.items.values()];
    expect(item.reason).toBe('unknown_order');
    expect(bad.startsWith(item.raw)).toBe(true);
    expect(Buffer.byteLength(item.raw)).toBeLessThanOrEqual(RAW_KEEP_BYTES);
    expect(Buffer.byteLength(item.raw)).toBeGreaterThan(RAW_KEEP_BYTES - 3);
  });

  it('rejects a record the rules throw on, leaving the member as it was before that record', async () => {
    // A ledger whose stored order is corrupt (no sku list): the refund's rules throw a TypeError.
    class CorruptLedger extends MemoryLedger {
      override async getOrder(memberId: string, orderId: string): Promise<OrderRecord | null> {
        const order = await super.getOrder(memberId, orderId);
        return order && { ...order, eligibleSkus: null as never };
      }
    }
    const p = new MemoryPipeline();
    const ledger = new CorruptLedger();
    const refund = JSON.stringify({
      eventId: 'r1',
      type: 'refund',
      memberId: 'm1',
      occurredAt: AT,
      channel: 'app',
      orderId: 'o-g1',
      lines: [{ sku: 'a', amountCents: 1 }],
    });
    // The purchase first: a refund in the purchase's own batch reads the order from the member's outbox.
    await processBatch(p.records([purchase('g1', 'm1')]), p.ports({ ledger }));
    const result = await processBatch(p.records([refund, appOpen('g2', 'm1', '2027-05-02T10:00:00+08:00')]), p.ports({ ledger }));
    expect(result.failedSeqs).toEqual([]);
    const [item] = [...p.quarantine.items.values()];
    expect(item).toMatchObject({ reason: 'invalid_event', eventId: 'r1', raw: refund });
    expect(item.detail).toMatch(/^\(record\): could not be applied: /);
    const m = p.member('m1')!;
    expect(m.lifetimePoints).toBe(1200);
    expect(m.activity.activeDays).toBe(2);
    expect(m.recentEventIds).toHaveLength(2);
  });

  it('fails the batch (to be retried) when a port fails, instead of quarantining the record', async () => {
    class DownLedger extends MemoryLedger {
      override async getOrder(): Promise<OrderRecord | null> {
        throw new Error('ProvisionedThroughputExceededException');
      }
    }
    const p = new MemoryPipeline();
    await expect(processBatch(p.records([purchase('g1', 'm1')]), p.ports({ ledger: new DownLedger() }))).rejects.toThrow(
      'ProvisionedThroughputExceededException',
    );
    expect(p.quarantine.items.size).toBe(0);
  });
});

describe('a good record does not depend on the bad records around it', () => {
  const MEMBERS = ['m1', 'm2', 'm3'];
  const good = fc.array(
    fc.record({
      member: fc.constantFrom(...MEMBERS),
      kind: fc.constantFrom('purchase', 'app_open', 'refund'),
      day: fc.integer({ min: 1, max: 28 }),
      cents: fc.integer({ min: 0, max: 900_000 }),
    }),
    { minLength: 1, maxLength: 30 },
  );
  const badKinds = Object.keys(BAD);
  const bad = fc.array(fc.record({ at: fc.nat(), member: fc.constantFrom(...MEMBERS), kind: fc.constantFrom(...badKinds) }), {
    maxLength: 12,
  });

  function goodLines(events: { member: string; kind: string; day: number; cents: number }[]): string[] {
    return events.map((e, i) => {
      const occurredAt = `2027-04-${String(e.day).padStart(2, '0')}T12:00:00+08:00`;
      if (e.kind === 'app_open') return appOpen(`e${i}`, e.member, occurredAt);
      if (e.kind === 'purchase')
        return purchase(`e${i}`, e.member, {
          occurredAt,
          orderId: `o${i % 7}`,
          lines: [{ sku: 'a', category: 'shoes', amountCents: e.cents }],
        });
      return JSON.stringify({
        eventId: `e${i}`,
        type: 'refund',
        memberId: e.member,
        occurredAt,
        channel: 'app',
        orderId: `o${i % 7}`,
        refundId: `r${i}`,
        lines: [{ sku: 'a', amountCents: e.cents }],
      });
    });
  }

  /** Delivers each group of lines as one batch: the same cuts between good records in both runs. */
  async function outcome(batches: string[][]) {
    const p = new MemoryPipeline();
    let retries = 0;
    for (const lines of batches) if (lines.length && (await processBatch(p.records(lines), p.ports())).failedSeqs.length) retries++;
    const asOf = dayNumber('2027-05-31');
    const members = Object.fromEntries(MEMBERS.map((id) => [id, p.member(id) ? memberView(p.program, p.member(id)!, asOf) : null]));
    const actions = [...p.actions.byId.values()].sort((a, b) => a.actionId.localeCompare(b.actionId));
    const ledger = [...p.ledger.orders.entries()].map(([k, o]) => [k, o.points, o.revokedPoints, Object.keys(o.refunds).sort()]).sort();
    return { members, actions, ledger, daily: p.daily('2027-04-01', '2027-04-30'), retries, quarantined: p.quarantine.items.size };
  }

  it('gives every good record the same outcome with or without bad records in its batches', async () => {
    await fc.assert(
      fc.asyncProperty(good, bad, fc.integer({ min: 1, max: 8 }), async (goodEvents, badRecords, batchSize) => {
        const lines = goodLines(goodEvents);
        const batches: string[][] = [];
        for (let i = 0; i < lines.length; i += batchSize) batches.push(lines.slice(i, i + batchSize));
        const mixed = batches.map((b) => [...b]);
        badRecords.forEach((b, n) => {
          const batch = mixed[b.at % mixed.length];
          batch.splice((b.at >> 3) % (batch.length + 1), 0, BAD[b.kind](b.member, n));
        });
        const clean = await outcome(batches);
        const dirty = await outcome(mixed);
        expect(dirty.retries).toBe(0);
        expect(dirty.quarantined).toBe(clean.quarantined + badRecords.length);
        expect(dirty.members).toEqual(clean.members);
        expect(dirty.actions).toEqual(clean.actions);
        expect(dirty.ledger).toEqual(clean.ledger);
        expect(dirty.daily).toEqual(clean.daily);
      }),
      { numRuns: 60 },
    );
  });
});
