// The producer's builders validate with the consumer's own decoder: same reasons, same details.
import { describe, expect, it } from 'vitest';
import { buildEvent, deterministicEventId, events, EVENT_TYPES, InvalidEventError } from '../../producer';
import { decodeRecord } from '../../shared/events/events';

const NOW = Date.parse('2026-10-05T08:00:00Z');
const line = { sku: 'tea-1', category: 'tea', amountCents: 1800 };

function thrown(fn: () => unknown): InvalidEventError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InvalidEventError) return error;
    throw error;
  }
  throw new Error('expected an InvalidEventError');
}

describe('event builders', () => {
  it('has one builder per behaviour event type of the schema', () => {
    expect(EVENT_TYPES.sort()).toEqual(['app_open', 'identify', 'page_view', 'purchase', 'recharge', 'refund', 'session_end', 'signup']);
    for (const type of EVENT_TYPES) expect(typeof events[type]).toBe('function');
  });

  it('builds bytes the consumer decodes to the same event, keyed by memberId', () => {
    const built = events.purchase(
      { memberId: 'm-1', channel: 'store', orderId: 'o-1', lines: [line], occurredAt: '2026-10-05T07:00:00Z' },
      NOW,
    );
    expect(built.partitionKey).toBe('m-1');
    const decoded = decodeRecord(built.data, NOW);
    expect(decoded.ok).toBe(true);
    expect(decoded.ok && decoded.event).toEqual(built.event);
    expect(built.event).toMatchObject({ type: 'purchase', memberId: 'm-1', orderId: 'o-1', shippingCents: 0 });
  });

  it('rejects at the call site with the reason and detail the quarantine would give', () => {
    const cases: [unknown, string][] = [
      [
        {
          eventId: 'e1',
          type: 'purchase',
          memberId: 'm-1',
          occurredAt: '2026-10-05T07:00:00Z',
          channel: 'store',
          orderId: 'o',
          lines: [{ ...line, amountCents: -1 }],
        },
        'invalid_event',
      ],
      [
        { eventId: 'e2', type: 'recharge', memberId: 'm 1', occurredAt: '2026-10-05T07:00:00Z', channel: 'app', amountCents: 100 },
        'invalid_event',
      ],
      [{ eventId: 'e3', type: 'app_open', memberId: 'm-1', occurredAt: '2026-10-05T08:06:00Z' }, 'future_occurred_at'],
      [
        { eventId: 'e4', type: 'app_open', memberId: 'm-1', occurredAt: '2026-10-05T07:00:00Z', attributes: { blob: 'x'.repeat(40_000) } },
        'too_large',
      ],
      [
        { eventId: 'e5', type: 'session_end', memberId: 'm-1', occurredAt: '2026-10-05T07:00:00Z', durationSeconds: 1.5, pageViews: 1 },
        'invalid_event',
      ],
    ];
    for (const [input, reason] of cases) {
      const quarantine = decodeRecord(new TextEncoder().encode(JSON.stringify(input)), NOW);
      expect(quarantine.ok).toBe(false);
      const error = thrown(() => buildEvent(input as never, NOW));
      expect(error.reason).toBe(reason);
      expect(!quarantine.ok && [quarantine.reason, quarantine.detail]).toEqual([error.reason, error.detail]);
    }
    expect(thrown(() => events.purchase({ memberId: 'm-1', channel: 'store', orderId: 'o', lines: [] }, NOW)).detail).toBe(
      'lines: Too small: expected array to have >=1 items',
    );
  });

  it('derives the eventId from the natural key, so a resend is the same event', () => {
    const a = events.purchase({ memberId: 'm-1', channel: 'store', orderId: 'o-9', lines: [line] }, NOW);
    const b = events.purchase({ memberId: 'm-1', channel: 'app', orderId: 'o-9', lines: [line], occurredAt: '2026-10-04T00:00:00Z' }, NOW);
    const other = events.purchase({ memberId: 'm-2', channel: 'store', orderId: 'o-9', lines: [line] }, NOW);
    expect(a.event.eventId).toBe(b.event.eventId);
    expect(a.event.eventId).not.toBe(other.event.eventId);
    const r1 = events.refund(
      { memberId: 'm-1', channel: 'store', orderId: 'o-9', refundId: 'r-1', lines: [{ sku: 'tea-1', amountCents: 100 }] },
      NOW,
    );
    const r2 = events.refund(
      { memberId: 'm-1', channel: 'store', orderId: 'o-9', refundId: 'r-2', lines: [{ sku: 'tea-1', amountCents: 100 }] },
      NOW,
    );
    expect(r1.event.eventId).not.toBe(r2.event.eventId);
    expect(events.app_open({ memberId: 'm-1', key: 'till-7#42' }, NOW).event.eventId).toBe(
      events.app_open({ memberId: 'm-1', key: 'till-7#42' }, NOW).event.eventId,
    );
    // Without a natural key, each event is new.
    expect(events.app_open({ memberId: 'm-1' }, NOW).event.eventId).not.toBe(events.app_open({ memberId: 'm-1' }, NOW).event.eventId);
    // A given eventId wins.
    expect(events.purchase({ eventId: 'mine', memberId: 'm-1', channel: 'store', orderId: 'o-9', lines: [line] }, NOW).event.eventId).toBe(
      'mine',
    );
    expect(deterministicEventId({ type: 'refund', memberId: 'm', orderId: 'o' })).toBeUndefined();
  });
});
