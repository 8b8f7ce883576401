// Erasure through the batch path (in-memory ports): the member leaves every store, per-day figures
// stay, totals drop from the erasure day, later and replayed records never recreate it.
import type { Action } from '../../../shared/actions/actions';
import { describe, expect, it } from 'vitest';
import { dayNumber, dayString } from '../../../shared/days/days';
import { dayKey, TOTALS_KEY } from '../../../shared/keys/metrics-keys';
import { dailyRow, programRow } from '../../../shared/metrics/read';
import type { ErasurePort } from '../../../shared/privacy/erasure';
import { MemoryPipeline } from '../../support/memory-pipeline';
import { everything, hash, memoryErasure } from '../../support/memory-erasure';

const A = dayNumber('2026-09-01');
const at = (day: number, hh = '09') => `${dayString(day)}T${hh}:00:00+08:00`;
const open = (m: string, day: number, n: string) =>
  JSON.stringify({ eventId: `${m}-o${n}`, type: 'app_open', memberId: m, occurredAt: at(day) });
const buy = (m: string, day: number, orderId: string, amountCents: number) =>
  JSON.stringify({
    eventId: `${orderId}-e`,
    type: 'purchase',
    memberId: m,
    occurredAt: at(day, '10'),
    channel: 'store',
    orderId,
    lines: [{ sku: 's', category: 'meat', amountCents }],
  });
const bad = (m: string, day: number) =>
  JSON.stringify({ eventId: `${m}-bad`, type: 'purchase', memberId: m, occurredAt: at(day), channel: 'store', orderId: 'x', lines: [] });
const erase = (m: string, day: number, erasureId: string) =>
  JSON.stringify({ eventId: `erase_member:${erasureId}`, type: 'erase_member', memberId: m, erasureId, occurredAt: at(day, '12') });

describe('erasure in the consumer', () => {
  it('removes the member everywhere, keeps past days, drops totals from the erasure day, and never recreates it', async () => {
    let today = A + 10;
    const p = new MemoryPipeline(undefined, () => Date.parse(at(today, '12')));
    const { port, tombstone } = memoryErasure(p);
    const send = (lines: string[], batch = 100) => p.deliver(p.records(lines), batch, { erasure: port });
    const history = [
      open('alice-138', A, '1'),
      buy('alice-138', A, 'o-1', 150_000),
      open('alice-138', A + 2, '2'),
      bad('alice-138', A + 2),
      open('bob', A, '1'),
      buy('bob', A + 1, 'o-2', 2_000),
    ];
    await send(history);
    expect(p.member('alice-138')?.tier.tier).toBeGreaterThan(0);
    const daily = () => [A, A + 1, A + 2].map((d) => dailyRow((x) => p.metrics.sum(dayKey(x)), d));
    const program = (asOf: number) => {
      const later = [];
      for (let d = asOf + 1; d <= today + 1; d++) later.push(p.metrics.sum(dayKey(d)));
      return programRow(p.program, p.metrics.sum(TOTALS_KEY), later, asOf);
    };
    const dailyBefore = daily();
    const programYesterday = program(today - 1);
    const programToday = program(today);
    const sizeBefore = p.metrics.sum(TOTALS_KEY).get('seg|status-active') ?? 0;
    expect(everything(p)).toContain('alice-138');
    const actionsBefore = new Set(p.actions.byId.keys());

    // The api writes the tombstone, then the command goes through the stream with a late event.
    tombstone('alice-138');
    // Everything this delivery publishes: alice's last write still carries its actions (the outbox,
    // shared/actions/outbox.ts), which are not sent again once she is being erased.
    const published: object[] = [];
    const actions = {
      publish: async (list: readonly Action[]) => {
        published.push(...list);
        await p.actions.publish(list);
      },
    };
    const erasing = [open('alice-138', A + 10, '3'), erase('alice-138', A + 10, 'er-1'), open('alice-138', A + 10, '4')];
    await p.deliver(p.records(erasing), 100, { erasure: port, actions });
    expect(JSON.stringify(published)).not.toContain('alice-138');
    expect(published).toHaveLength(1);

    expect(p.member('alice-138')).toBeUndefined();
    expect(everything(p)).not.toContain('alice-138');
    expect(daily()).toEqual(dailyBefore);
    expect(program(today - 1)).toEqual(programYesterday);
    const after = program(today);
    expect(after.members).toBe(programToday.members - 1);
    expect(Object.values(after.byTier).reduce((a, b) => a + b, 0)).toBe(programToday.members - 1);
    expect(p.metrics.sum(TOTALS_KEY).get('seg|status-active')).toBe(sizeBefore - 1);
    const newActions = [...p.actions.byId.values()].filter((a) => !actionsBefore.has(a.actionId));
    expect(JSON.stringify(newActions)).not.toContain('alice-138');
    const erased = newActions.filter((a) => a.type === 'member_erased');
    expect(erased).toEqual([
      expect.objectContaining({ memberId: hash('alice-138'), details: { memberHash: hash('alice-138'), erasureId: 'er-1' } }),
    ]);
    // The event after the command: quarantined without payload.
    const erasedQ = [...p.quarantine.items.values()].filter((q) => q.reason === 'erased_member');
    expect(erasedQ.length).toBe(1);
    expect(erasedQ[0]).toMatchObject({ raw: '' });
    expect(erasedQ[0].memberId).toBeUndefined();
    expect(erasedQ[0].eventId).toBeUndefined();

    // A replay of the whole history (and the command) changes nothing and recreates nothing.
    today += 1;
    const totals = p.metrics.sum(TOTALS_KEY);
    await send([...history, erase('alice-138', A + 10, 'er-1')], 3);
    expect(p.member('alice-138')).toBeUndefined();
    expect(everything(p)).not.toContain('alice-138');
    expect(p.metrics.sum(TOTALS_KEY)).toEqual(totals);
    expect(daily()).toEqual(dailyBefore);
    // bob's records of the replay are repeats: bob is as he was.
    expect(p.member('bob')).toBeDefined();
  });

  it('an erase command without a tombstone (a producer, not the api) is quarantined and erases nothing', async () => {
    const p = new MemoryPipeline(undefined, () => Date.parse(at(A + 1, '12')));
    const { port } = memoryErasure(p);
    await p.deliver(p.records([open('carol', A, '1'), erase('carol', A + 1, 'forged')]), 100, { erasure: port });
    expect(p.member('carol')).toBeDefined();
    expect([...p.quarantine.items.values()].map((q) => q.reason)).toEqual(['erasure_not_requested']);
  });

  it('an erasure whose member write loses a race is retried and applied once', async () => {
    const p = new MemoryPipeline(undefined, () => Date.parse(at(A + 1, '12')));
    const { port, tombstone } = memoryErasure(p);
    await p.deliver(p.records([open('dave', A, '1'), open('erin', A, '1')]), 100, { erasure: port });
    const membersBefore = p.metrics.sum(TOTALS_KEY).get('members');
    tombstone('dave');
    let failOnce = true;
    const flaky: ErasurePort = {
      ...port,
      deleteMember: async (id, v) => (failOnce ? ((failOnce = false), false) : port.deleteMember(id, v)),
    };
    await p.deliver(p.records([erase('dave', A + 1, 'er-2')]), 100, { erasure: flaky });
    expect(p.retries).toBe(1);
    expect(p.member('dave')).toBeUndefined();
    expect(p.metrics.sum(TOTALS_KEY).get('members')).toBe(membersBefore! - 1);
  });
});
