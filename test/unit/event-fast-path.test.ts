// The hand-written check of common events (shared/events/fast-path.ts) never accepts what the zod
// schemas refuse, and returns exactly what they return (fields, order, values) and the same instant.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastBehaviourEvent } from '../../shared/events/fast-path';
import { decodeRecord, occurredAtMs, parseEvent } from '../../shared/events/events';
import { eventsToJsonLines, simulate } from '../../simulator';

/** Same answer as the schemas whenever the fast path answers; true when it answered. */
function agrees(value: unknown): boolean {
  const fast = fastBehaviourEvent(value);
  if (!fast) return false;
  const slow = parseEvent(value);
  expect(slow.ok, JSON.stringify(value)).toBe(true);
  if (!slow.ok) return false;
  expect(JSON.stringify(fast.event)).toBe(JSON.stringify(slow.event));
  expect(fast.event).toStrictEqual(slow.event);
  expect(fast.at).toBe(occurredAtMs(slow.event.occurredAt));
  return true;
}

const COMMON = ['eventId', 'memberId', 'anonymousId', 'occurredAt', 'channel', 'attributes', 'type'];
const OWN: Record<string, string[]> = {
  app_open: [],
  page_view: ['page'],
  session_end: ['durationSeconds', 'pageViews'],
  signup: ['acquisitionChannel'],
  purchase: ['orderId', 'lines', 'shippingCents'],
  refund: ['orderId', 'refundId', 'lines'],
  recharge: ['amountCents'],
};

describe('the fast path for common events', () => {
  it('answers for most simulated events, always as the schemas do', () => {
    const lines = [...eventsToJsonLines(simulate({ members: 60, days: 5, seed: 3, start: '2026-10-01' }))];
    let fast = 0;
    for (const line of lines) if (agrees(JSON.parse(line))) fast++;
    // Every behaviour type but identify (which the simulator does not send) takes the fast path.
    expect(fast).toBe(lines.length);
  });

  /** Valid most of the time, so that whole records pass often enough; the rest probe each rule. */
  const mostly = <T>(valid: fc.Arbitrary<T>, ...others: fc.Arbitrary<unknown>[]) =>
    fc.oneof({ weight: 4 * others.length, arbitrary: valid }, ...others.map((arbitrary) => ({ weight: 1, arbitrary })));
  const line = fc.record(
    {
      sku: mostly(fc.constantFrom('sku-1', 'x'), fc.constant(''), fc.constant('s'.repeat(129)), fc.integer()),
      category: mostly(fc.constantFrom('dairy', 'bakery'), fc.constant(''), fc.constant('c'.repeat(65)), fc.constant(null)),
      amountCents: mostly(
        fc.integer({ min: 0, max: 100_000 }),
        fc.constant(-1),
        fc.constant(10_000_000_001),
        fc.constant(0.5),
        fc.constant('1'),
      ),
      note: fc.anything(),
    },
    { requiredKeys: [] },
  );
  const purchaseLine = fc.record({
    sku: fc.constantFrom('sku-1', 'x'),
    category: fc.constantFrom('dairy', 'bakery'),
    amountCents: fc.nat(100_000),
  });
  const refundLine = fc.record({ sku: fc.constantFrom('sku-1', 'x'), amountCents: fc.nat(100_000) });
  const field = {
    eventId: mostly(
      fc.constantFrom('e-1', 'e:2'),
      fc.string({ maxLength: 130 }),
      fc.constant('tier_review:x'),
      fc.constant(''),
      fc.integer(),
    ),
    memberId: mostly(fc.constant('m1'), fc.string({ maxLength: 130 }), fc.constant('a'.repeat(129)), fc.constant(null), fc.integer()),
    anonymousId: mostly(fc.constant('v-1'), fc.string({ maxLength: 4 }), fc.constant(null)),
    occurredAt: mostly(
      fc.constantFrom('2026-10-01T10:00:00.123Z', '2026-10-01T10:00:00+08:00', '2026-10-01T10:00+0530'),
      fc.constant('1999-12-31T23:59:59Z'),
      fc.constant('2026-02-30T10:00:00Z'),
      fc.constant('0099-01-01T00:00:00Z'),
      fc.string({ maxLength: 30 }),
      fc.integer(),
    ),
    channel: mostly(fc.constantFrom('store', 'app', 'mini_program', 'third_party'), fc.constant('web'), fc.integer()),
    attributes: mostly(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })), fc.jsonValue({ maxDepth: 20 })),
    type: mostly(
      fc.constantFrom('app_open', 'page_view', 'session_end', 'signup', 'purchase', 'refund', 'recharge'),
      fc.constantFrom('identify', 'x'),
    ),
    page: mostly(fc.string({ maxLength: 10 }), fc.constant('p'.repeat(513)), fc.integer()),
    durationSeconds: mostly(
      fc.integer({ min: 0, max: 10_000_000 }),
      fc.integer({ min: -2, max: 10_000_002 }),
      fc.double(),
      fc.constant('5'),
    ),
    pageViews: mostly(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: -2, max: 10_000_002 }), fc.constant(3.5)),
    acquisitionChannel: mostly(fc.constant('referral'), fc.string({ maxLength: 70 }), fc.constant('')),
    orderId: mostly(fc.constantFrom('o-1', 'o:2'), fc.constant(''), fc.constant('o'.repeat(129)), fc.integer()),
    refundId: mostly(fc.constant('r-1'), fc.constant(''), fc.constant('r'.repeat(129)), fc.constant(null)),
    shippingCents: mostly(
      fc.integer({ min: 0, max: 2000 }),
      fc.constant(-1),
      fc.constant(10_000_000_001),
      fc.constant(1.5),
      fc.constant('0'),
    ),
    amountCents: mostly(
      fc.integer({ min: 1, max: 10_000_000_000 }),
      fc.constant(0),
      fc.constant(-0),
      fc.constant(10_000_000_001),
      fc.constant(2.5),
      fc.constant(null),
    ),
    lines: fc.oneof(
      { weight: 8, arbitrary: fc.array(purchaseLine, { minLength: 1, maxLength: 4 }) },
      { weight: 8, arbitrary: fc.array(refundLine, { minLength: 1, maxLength: 4 }) },
      { weight: 4, arbitrary: fc.array(line, { minLength: 1, maxLength: 4 }) },
      { weight: 1, arbitrary: fc.constant([]) },
      { weight: 1, arbitrary: fc.array(fc.constant({ sku: 's', category: 'c', amountCents: 1 }), { minLength: 501, maxLength: 501 }) },
      {
        weight: 1,
        arbitrary: fc.constant([
          { sku: 's', category: 'c', amountCents: 6_000_000_000 },
          { sku: 't', category: 'c', amountCents: 5_000_000_000 },
        ]),
      },
      { weight: 1, arbitrary: fc.constant({ sku: 's', amountCents: 1 }) },
      { weight: 1, arbitrary: fc.array(fc.anything(), { maxLength: 2 }) },
    ),
    extra: fc.anything(),
  };

  it('never accepts what the schemas refuse, nor returns anything else (random records)', () => {
    let answered = 0;
    const answeredByType = new Map<string, number>();
    fc.assert(
      fc.property(
        fc.record(field, { requiredKeys: ['type', 'eventId', 'occurredAt', 'memberId', 'channel', 'orderId', 'lines', 'amountCents'] }),
        fc.nat(9),
        (value, dice) => {
          // Most records keep only their type's fields (else nearly every one has a stray field).
          const own = OWN[value.type as string];
          const record: Record<string, unknown> =
            dice > 2 && own
              ? Object.fromEntries(Object.entries(value).filter(([k]) => COMMON.includes(k) || own.includes(k)))
              : { ...value };
          // Sometimes without a channel (which the order types require).
          if (dice === 9) delete record.channel;
          if (agrees(record)) {
            answered++;
            answeredByType.set(value.type as string, (answeredByType.get(value.type as string) ?? 0) + 1);
          }
        },
      ),
      // A fixed seed: the coverage check below once failed on a random one (no refund among 8,000
      // records reached the accepting branch), failing a fresh-clone CI run.
      { numRuns: 8000, seed: 20261204 },
    );
    // The generator must reach the accepting branch too, or the property says nothing.
    expect(answered).toBeGreaterThan(50);
    for (const type of Object.keys(OWN)) expect(answeredByType.get(type) ?? 0, type).toBeGreaterThan(0);
  });

  it('leaves a record with a __proto__ attribute, or a non-plain value, to the schemas', () => {
    const base = { eventId: 'e', type: 'app_open', memberId: 'm', occurredAt: '2026-10-01T10:00:00Z' };
    expect(
      fastBehaviourEvent(
        JSON.parse(
          '{"eventId":"e","type":"app_open","memberId":"m","occurredAt":"2026-10-01T10:00:00Z","attributes":{"__proto__":{"x":1}}}',
        ),
      ),
    ).toBeUndefined();
    expect(fastBehaviourEvent([base])).toBeUndefined();
    expect(fastBehaviourEvent({ ...base, attributes: [1] })).toBeUndefined();
    expect(agrees(base)).toBe(true);
  });

  it('decodes a record to the same result with and without it', () => {
    const now = Date.parse('2026-12-01T00:00:00Z');
    const text =
      '{"eventId":"e-9","type":"session_end","memberId":"m7","occurredAt":"2026-10-01T10:00:00+0800","durationSeconds":60,"pageViews":2,"x":1}';
    const decoded = decodeRecord(new TextEncoder().encode(text), now);
    expect(decoded).toEqual({
      ok: true,
      event: {
        eventId: 'e-9',
        memberId: 'm7',
        occurredAt: '2026-10-01T10:00:00+0800',
        type: 'session_end',
        durationSeconds: 60,
        pageViews: 2,
      },
      at: Date.parse('2026-10-01T02:00:00Z'),
      raw: text,
    });
  });
});
