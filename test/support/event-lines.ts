// Purchase and refund records as JSON lines for the in-memory pipeline tests (MemoryPipeline):
// store channel, programme time zone (+08:00), eventIds numbered per builder.

/** An instant on `day` in the programme's time zone. */
export const at = (day: string, time = '10:00:00') => `${day}T${time}+08:00`;

/** Lines as [sku, category, amountCents]; refund lines as [sku, amountCents]. */
export function orderLines() {
  let n = 0;
  return {
    purchase: (memberId: string, orderId: string, day: string, lines: [string, string, number][], extra: object = {}) =>
      JSON.stringify({
        eventId: `p${++n}`,
        type: 'purchase',
        memberId,
        occurredAt: at(day),
        channel: 'store',
        orderId,
        lines: lines.map(([sku, category, amountCents]) => ({ sku, category, amountCents })),
        ...extra,
      }),
    refund: (memberId: string, orderId: string, day: string, lines: [string, number][], refundId?: string) =>
      JSON.stringify({
        eventId: `r${++n}`,
        type: 'refund',
        memberId,
        occurredAt: at(day),
        channel: 'store',
        orderId,
        refundId,
        lines: lines.map(([sku, amountCents]) => ({ sku, amountCents })),
      }),
  };
}

/** A day (YYYY-MM-DD, at 10:00 programme time) or a whole instant, as occurredAt. */
const when = (dayOrInstant: string) => (dayOrInstant.includes('T') ? dayOrInstant : at(dayOrInstant));

/** One-line events under the caller's eventIds, for tests that name, fail and replay their records. */
export const openLine = (eventId: string, memberId: string, day: string) =>
  JSON.stringify({ eventId, type: 'app_open', memberId, occurredAt: when(day), platform: 'ios', appVersion: '1.0.0' });

/** A purchase of one line (`sku`, `category`) of `cents`, no shipping. */
export const purchaseLine = (
  eventId: string,
  memberId: string,
  orderId: string,
  day: string,
  cents: number,
  { sku = 's1', category = 'fresh_produce' }: { sku?: string; category?: string } = {},
) =>
  JSON.stringify({
    eventId,
    type: 'purchase',
    memberId,
    occurredAt: when(day),
    channel: 'store',
    orderId,
    lines: [{ sku, category, amountCents: cents }],
    shippingCents: 0,
  });

/** A refund of `cents` of one line (`sku`); its refundId is the eventId unless given. */
export const refundLine = (
  eventId: string,
  memberId: string,
  orderId: string,
  day: string,
  cents: number,
  { sku = 's1', refundId = eventId }: { sku?: string; refundId?: string } = {},
) =>
  JSON.stringify({
    eventId,
    type: 'refund',
    memberId,
    occurredAt: when(day),
    channel: 'store',
    orderId,
    refundId,
    lines: [{ sku, amountCents: cents }],
  });
