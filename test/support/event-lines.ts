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
