// Bad input, fuzzed (fast-check), part 3: the events consumer (the real process-events handler on
// the local stack) under the input families of issue 19 item 1.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { commandKey } from '../../functions/adapters/command-key';
import { planBatches } from '../../infra/local/engine/batch-plan';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';
import type { CommandSigner } from '../../shared/jobs/command-signature';
import type { JobCommand } from '../../shared/events/events';

let stack: LocalStack;
beforeAll(async () => {
  process.env.MEMBERFLOW_LOG_LEVEL ??= 'ERROR';
  stack = await attachLocalStack({
    endpoints: inject('endpoints'),
    prefix: `fuzzc${process.pid}-`,
    apiPort: 0,
    token: 'fuzz-token',
    withPollers: false,
    withScheduler: false,
  });
}, 120_000);
afterAll(() => stack?.stop());

// ---------------------------------------------------------------------------------------------
// The events consumer: the input families that once failed whole batches (issue 19, item 1) —
// amounts whose sum passes 2^53, deeply nested values, extreme dates — through the real
// process-events handler on the local stack. No batch may fail: every record gets a verdict, and
// the good records around the bad ones are applied.

const AT = '2026-10-20T10:00:00+08:00';
const extremeDate = fc.oneof(
  // Years outside [2000, now]: before the schema's bound, or years in the future.
  fc
    .tuple(
      fc.oneof(fc.integer({ min: 0, max: 1999 }), fc.integer({ min: 2027, max: 9999 })),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 28 }),
      fc.integer({ min: -14, max: 14 }),
    )
    .map(([y, m, d, off]) => {
      const sign = off < 0 ? '-' : '+';
      return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}T00:00:00${sign}${String(Math.abs(off)).padStart(2, '0')}:00`;
    }),
  fc.constantFrom(
    '0000-01-01T00:00:00+14:00',
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59-14:00',
    '1969-12-31T23:59:59Z',
    '1999-12-31T23:59:59+01:00',
    '2000-01-01T00:00:00+08:00',
  ),
);
const hugeCents = fc.oneof(
  fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER - 10, 2 ** 52, 1e10, 1e10 + 1, 1e15),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);
const nestedText = (levels: number) => '{"a":'.repeat(levels) + '{}' + '}'.repeat(levels);

function badRecord(kind: number, memberId: string, n: number, cents: number[], date: string, depth: number, signer: CommandSigner): string {
  const base = { eventId: `fz-${n}`, memberId, occurredAt: AT, channel: 'app' };
  switch (kind) {
    case 0: // amount overflow: lines (and shipping) whose sum passes every bound
      return JSON.stringify({
        ...base,
        type: 'purchase',
        orderId: `fz-o${n}`,
        lines: [...cents, cents[0]].map((c, i) => ({ sku: `s${i}`, category: 'c', amountCents: Math.max(c, 5e9 + 1) })),
        shippingCents: cents[0],
      });
    case 1: // refunds of amounts near 2^53 against a real order
      return JSON.stringify({
        ...base,
        type: 'refund',
        orderId: 'fz-good',
        refundId: `fz-r${n}`,
        lines: cents.map((c) => ({ sku: 'a', amountCents: Math.max(c, 1e10 + 1) })),
      });
    case 2: // depth: an unknown-order refund (quarantined after decoding) with deep attributes
      return JSON.stringify({
        ...base,
        type: 'refund',
        orderId: `nope${n}`,
        lines: [{ sku: 'a', amountCents: 1 }],
        attributes: 'X',
      }).replace('"X"', nestedText(depth));
    case 3: // depth, on an event that would otherwise be applied
      return JSON.stringify({ ...base, type: 'app_open', attributes: 'X' }).replace('"X"', nestedText(depth));
    default: // extreme dates, on activity, a purchase and a command
      return [
        JSON.stringify({ ...base, type: 'app_open', occurredAt: date }),
        JSON.stringify({
          ...base,
          type: 'purchase',
          occurredAt: date,
          orderId: `fz-d${n}`,
          lines: [{ sku: 'a', category: 'c', amountCents: 100_000 }],
        }),
        // A command as the daily jobs put it: signed with the stack's command key (commandKey(), as
        // the product signs), so it reaches the date arithmetic instead of the forgery check.
        JSON.stringify(
          signer.sign({
            eventId: `tier_review:fz-${n}`,
            type: 'tier_review',
            memberId,
            occurredAt: date,
            asOf: date.slice(0, 10),
          } as JobCommand),
        ),
      ][n % 3];
  }
}

describe('the events consumer under fuzz (real handler, local stack)', () => {
  it('never fails a batch on amount overflow, deep nesting or extreme dates, and applies the good records', async () => {
    const { handler } = await import('../../functions/process-events');
    const { stores } = await import('../../functions/adapters/stores');
    const signer = await commandKey();
    const bad = fc.record({
      kind: fc.integer({ min: 0, max: 4 }),
      cents: fc.array(hugeCents, { minLength: 1, maxLength: 4 }),
      date: extremeDate,
      depth: fc.integer({ min: 1, max: 6000 }),
    });
    let run = 0;
    let n = 0;
    const arrivedAt = Date.parse('2026-10-21T00:00:00Z');
    await fc.assert(
      fc.asyncProperty(fc.array(bad, { minLength: 1, maxLength: 6 }), async (bads) => {
        const memberId = `fz${process.pid}-${++run}`;
        const lines = [
          JSON.stringify({
            eventId: `fz-g1-${run}`,
            type: 'purchase',
            memberId,
            occurredAt: AT,
            channel: 'app',
            orderId: 'fz-good',
            lines: [{ sku: 'a', category: 'shoes', amountCents: 150_000 }],
          }),
          ...bads.map((b) => badRecord(b.kind, memberId, ++n, b.cents, b.date, b.depth, signer)),
          JSON.stringify({ eventId: `fz-g2-${run}`, type: 'app_open', memberId, occurredAt: '2026-10-20T12:00:00+08:00' }),
        ];
        const plan = planBatches(lines, { shards: 1, batchSize: 500, arrivedAt });
        const response = await handler(plan.batches[0][0]);
        expect(response.batchItemFailures).toEqual([]);
        const member = (await stores().members.getMany([memberId])).get(memberId);
        expect(member?.lifetimePoints).toBe(1500);
        expect(member?.activity.activeDays).toBe(1);
      }),
      { numRuns: 40 },
    );
  }, 240_000);
});
