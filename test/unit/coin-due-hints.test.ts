// Coin-due hints (shared/coins/due-hints.ts): which day a write hints, the writers' protocol with
// a coins job run that began meanwhile, and the rule kept across the job and the consumer on the
// in-memory pipeline (a purchase applied between a run's read and its command).
import { describe, expect, it } from 'vitest';
import { dayNumber } from '../../shared/days/days';
import { dueToHint, putDueHints, type CoinDuePort, type DueHint } from '../../shared/coins/due-hints';
import type { CoinLot, CoinState } from '../../shared/coins/lots';
import { runCoins } from '../../shared/jobs/run-coins';
import { coinDueSpans } from '../../shared/keys/metrics-keys';
import { openLine, purchaseLine } from '../support/event-lines';
import { MemoryPipeline } from '../support/memory-pipeline';
import { MemoryCoinDue } from '../support/memory-ports';
import { COINS_JOB_NOW, coinsJobPorts } from '../support/coins-job-ports';

const NOTICE = 30;
const lot = (seq: number, availableOn: number, expiresOn: number, booked: boolean, noticed = false): CoinLot => ({
  seq,
  availableOn,
  expiresOn,
  left: 10,
  booked,
  noticed,
});
const state = (...lots: CoinLot[]): CoinState => ({ lots, debt: 0, asOf: 100 });

describe('dueToHint', () => {
  const hint = (before: CoinState | undefined, after: CoinState) => {
    const h = dueToHint('m', before, after, NOTICE);
    return h && [h.day, h.expiresOn];
  };
  it('hints the next due day when it changed, in either direction, or the earliest expiry came forward', () => {
    // A first lot: due on its availableOn (107); it expires on 472.
    expect(hint(undefined, state(lot(1, 107, 472, false)))).toEqual([107, 472]);
    expect(hint(state(), state(lot(1, 107, 472, false)))).toEqual([107, 472]);
    // Booked: next is its notice, 472 − 30, later than before: needed only if a run reached 107.
    expect(hint(state(lot(1, 107, 472, false)), state(lot(1, 107, 472, true)))).toEqual([442, 472]);
    expect(dueToHint('m', state(lot(1, 107, 472, false)), state(lot(1, 107, 472, true)), NOTICE)?.wasDue).toBe(107);
    expect(dueToHint('m', undefined, state(lot(1, 107, 472, false)), NOTICE)?.wasDue).toBeUndefined();
    // A second lot due later than the first: the next due day stays 107, nothing to hint.
    expect(hint(state(lot(1, 107, 472, false)), state(lot(1, 107, 472, false), lot(2, 110, 475, false)))).toBeNull();
    // A lot put back whose notice comes before the other lot's availability.
    expect(hint(state(lot(2, 130, 495, false)), state(lot(1, 50, 120, true), lot(2, 130, 495, false)))).toEqual([90, 120]);
    // A lot put back expiring first, its notice sent: the due day stays 130, the expiry came forward.
    expect(hint(state(lot(2, 130, 495, false)), state(lot(1, 50, 200, true, true), lot(2, 130, 495, false)))).toEqual([130, 200]);
    // The last coins gone.
    expect(hint(state(lot(1, 107, 472, true)), state())).toBeNull();
  });
});

/** A store whose start mark moves on while a writer writes (a run beginning in between). */
class RacingCoinDue extends MemoryCoinDue {
  constructor(private readonly startsAfterPut: number[]) {
    super();
  }
  override async put(day: number, source: string, ids: readonly string[], expiresBy: number) {
    await super.put(day, source, ids, expiresBy);
    const next = this.startsAfterPut.shift();
    if (next !== undefined) await this.start(next);
  }
}

const hinted = async (port: CoinDuePort, from: number, to: number) => {
  const out: Record<number, string[]> = {};
  for (let d = from; d <= to; d++) {
    const ids = await port.membersDue(d, d);
    if (ids.length) out[d] = ids.sort();
  }
  return out;
};
/** Hints by day, every member's earliest lot expiring on day 500. */
const byDay = (days: [number, string[]][]): DueHint[] =>
  days.flatMap(([day, ids]) => ids.map((memberId) => ({ memberId, day, expiresOn: 500 })));

describe('putDueHints', () => {
  it('puts each day as asked while no run has begun; a day a run began goes to the day after', async () => {
    const port = new MemoryCoinDue();
    await (
      await putDueHints(port, byDay([[107, ['m1', 'm2']]]), 'b1')
    )();
    await port.start(110);
    await (
      await putDueHints(
        port,
        byDay([
          [105, ['m3']],
          [120, ['m4']],
        ]),
        'b2',
      )
    )();
    expect(await hinted(port, 100, 130)).toEqual({ 107: ['m1', 'm2'], 111: ['m3'], 120: ['m4'] });
  });

  it('a run that begins between the write and the check: the day it may have read is written again after it', async () => {
    // The run for 108 begins right after the first put (it may have read day 108, or the member,
    // before the writes); the check after the member write finds it.
    const port = new RacingCoinDue([108]);
    const check = await putDueHints(port, byDay([[108, ['m1']]]), 'b1');
    expect(await hinted(port, 100, 130)).toEqual({ 108: ['m1'] });
    await check();
    expect(await port.started()).toBe(108);
    // Still on 108 (a hint too many is harmless) and again on 109, the next run's first day.
    expect(await hinted(port, 100, 130)).toEqual({ 108: ['m1'], 109: ['m1'] });
    // Runs beginning twice in a row: placed until a check finds no new start.
    const twice = new RacingCoinDue([108, 109]);
    await (
      await putDueHints(twice, byDay([[108, ['m1']]]), 'b1')
    )();
    expect(await hinted(twice, 100, 130)).toEqual({ 108: ['m1'], 109: ['m1'], 110: ['m1'] });
  });

  it('a due day moved later is hinted only if a run reached the day before, at once or by the check', async () => {
    const later: DueHint = { memberId: 'm1', day: 442, expiresOn: 472, wasDue: 107 };
    // No run began: the hint of 107 is read after the write, by a run that reads the member as written.
    const quiet = new MemoryCoinDue();
    await (
      await putDueHints(quiet, [later], 'b1')
    )();
    expect(quiet.items.size).toBe(0);
    // The run of 107 had begun (it may have read m1 before the write): hinted at once.
    const begun = new MemoryCoinDue();
    await begun.start(107);
    await (
      await putDueHints(begun, [later], 'b1')
    )();
    expect(await hinted(begun, 100, 500)).toEqual({ 442: ['m1'] });
    // It begins while the member is written: the check writes it.
    const racing = new RacingCoinDue([]);
    const check = await putDueHints(racing, [later, { memberId: 'm2', day: 300, expiresOn: 480 }], 'b1');
    await racing.start(107);
    expect(await hinted(racing, 100, 500)).toEqual({ 300: ['m2'] });
    await check();
    expect(await hinted(racing, 100, 500)).toEqual({ 300: ['m2'], 442: ['m1'] });
  });

  it('splits a long list over items; ranges read across 14-day periods', async () => {
    const port = new MemoryCoinDue();
    const ids = Array.from({ length: 4_500 }, (_, i) => `m${i}`);
    await (
      await putDueHints(port, byDay([[200, ids]]), 'job')
    )();
    expect([...port.items.values()].flatMap((sks) => [...sks.values()]).map((item) => item.ids.length)).toEqual([2_000, 2_000, 500]);
    expect((await port.membersDue(150, 250)).length).toBe(4_500);
    // Coins expiring by day 499: no item names a member with a lot expiring by then.
    expect(await port.membersDue(150, 250, { expiringBy: 499 })).toEqual([]);
    expect((await port.membersDue(150, 250, { expiringBy: 500 })).length).toBe(4_500);
    expect(coinDueSpans(195, 230).map((s) => s.pk)).toEqual(['cd#182', 'cd#196', 'cd#210', 'cd#224']);
  });
});

describe('the coins job and the consumer keep every member with a lot hinted', () => {
  it('a purchase applied after a run read the member and before its command: the new lot is still made available on its day', async () => {
    const p = new MemoryPipeline(undefined, () => COINS_JOB_NOW);
    const { ports, sent } = coinsJobPorts(p);
    const purchase = (orderId: string, day: string) =>
      purchaseLine(`e-${orderId}`, 'm1', orderId, day, 10_000, { sku: 'a', category: 'meat' });
    const run = async (day: string) => {
      sent.length = 0;
      await runCoins(p.program, dayNumber(day), ports);
      return [...sent];
    };
    // o1 on 11-01: its lot is due 11-08.
    await p.deliver(p.records([purchase('o1', '2026-11-01')]));
    await run('2026-11-07');
    const commands = await run('2026-11-08');
    expect(commands.map((c) => c.eventId)).toEqual(['coins_day:2026-11-08:m1']);
    // o2 on 11-08 reaches the consumer before the run's command: its write books o1's lot (its
    // day has come) and adds o2's, due 11-15. The run hinted m1 from what it read: o1's notice.
    await p.deliver(p.records([purchase('o2', '2026-11-08')]));
    await p.deliver(p.records(commands.map((c) => p.command(c))));
    for (const day of ['2026-11-09', '2026-11-10', '2026-11-11', '2026-11-12', '2026-11-13', '2026-11-14'])
      expect(await run(day), day).toEqual([]);
    expect((await run('2026-11-15')).map((c) => c.eventId)).toEqual(['coins_day:2026-11-15:m1']);
  });

  it('an attempt that dies after its member writes, before its check of the hints: the retry hints its members again', async () => {
    const p = new MemoryPipeline(undefined, () => Date.parse('2028-01-01T00:00:00Z'));
    const due = p.hints.coinDue;
    const started = due.started.bind(due);
    const put = due.put.bind(due);
    let calls = 0;
    let puts = 0;
    // The first attempt: its hint of 11-08 (o1's lot) is put, the run for 11-08 begins, and the
    // attempt dies at its check (the run may have read m1 before its write).
    due.put = async (day, source, ids, expiresBy) => {
      await put(day, source, ids, expiresBy);
      if (puts++ === 0) await due.start(dayNumber('2026-11-08'));
    };
    due.started = async () => {
      if (++calls === 2) throw new Error('injected: the process died');
      return started();
    };
    await p.deliver(p.records([purchaseLine('e-o1', 'm1', 'o1', '2026-11-01', 10_000, { sku: 'a', category: 'meat' })]));
    expect(p.retries).toBe(1);
    // The retry finds m1 listed in the batch progress and hints it on the run's next day.
    expect(await due.membersDue(dayNumber('2026-11-09'), dayNumber('2026-11-09'))).toEqual(['m1']);
  });

  it('a stack upgraded from CoinDueIndex: the first run reads every member with a lot once and hints them; later runs do not scan', async () => {
    const p = new MemoryPipeline(undefined, () => COINS_JOB_NOW);
    const { ports, progress, sent } = coinsJobPorts(p);
    const buy = (memberId: string, orderId: string, day: string) =>
      purchaseLine(`e-${orderId}`, memberId, orderId, day, 10_000, { sku: 'a', category: 'meat' });
    // m1's lot is due 11-08, m2's 11-20; the stack's coins job last ran on 11-06, before hints.
    await p.deliver(p.records([buy('m1', 'o1', '2026-11-01'), buy('m2', 'o2', '2026-11-13')]));
    p.hints.coinDue.items.clear();
    await progress.recordRun('coins', dayNumber('2026-11-06'));
    let scans = 0;
    const members = { getMany: p.members.getMany.bind(p.members), coinHolders: (from?: string) => (scans++, p.members.coinHolders(from)) };
    const run = async (day: string) => {
      sent.length = 0;
      const summary = await runCoins(p.program, dayNumber(day), { ...ports, members });
      await p.deliver(p.records(sent.map((c) => p.command(c))));
      return { summary, ids: sent.map((c) => c.eventId) };
    };
    const first = await run('2026-11-08');
    expect(first.summary).toMatchObject({ candidates: 0, backfilled: 2 });
    expect(first.ids).toEqual(['coins_day:2026-11-08:m1']);
    // m2 hinted on its lot's day (and m1 on its notice day).
    expect(await p.hints.coinDue.membersDue(dayNumber('2026-11-20'), dayNumber('2026-11-20'))).toEqual(['m2']);
    expect((await run('2026-11-20')).ids).toEqual(['coins_day:2026-11-20:m2']);
    expect(scans).toBe(1);
    // A fresh stack's first run scans nothing and marks the hints complete.
    const fresh = new MemoryPipeline(undefined, () => COINS_JOB_NOW);
    const freshPorts = coinsJobPorts(fresh).ports;
    await runCoins(fresh.program, dayNumber('2026-11-08'), {
      ...freshPorts,
      members: {
        getMany: fresh.members.getMany.bind(fresh.members),
        coinHolders: (from?: string) => (scans++, fresh.members.coinHolders(from)),
      },
    });
    expect(scans).toBe(1);
    expect(await fresh.hints.coinDue.backfilled()).toBe(true);
  });
  it('an upgrade scan out of time stops after a page and the next run goes on from there: the same commands and hints as one run', async () => {
    const buy = (memberId: string, orderId: string, day: string) =>
      purchaseLine(`e-${orderId}`, memberId, orderId, day, 10_000, { sku: 'a', category: 'meat' });
    // Seven members with a lot each (due 11-08 .. 11-14), an eighth without; the job last ran on 11-06, before hints.
    const upgraded = async () => {
      const p = new MemoryPipeline(undefined, () => COINS_JOB_NOW);
      const lines = Array.from({ length: 7 }, (_, i) => buy(`m${i + 1}`, `o${i + 1}`, `2026-11-0${i + 1}`));
      await p.deliver(p.records([...lines, openLine('e-m8', 'm8', '2026-11-01')]));
      p.hints.coinDue.items.clear();
      p.members.scanPageSize = 3;
      const jobs = coinsJobPorts(p);
      await jobs.progress.recordRun('coins', dayNumber('2026-11-06'));
      return { p, ...jobs };
    };
    const hinted = (p: MemoryPipeline) => p.hints.coinDue.membersDue(dayNumber('2026-11-09'), dayNumber('2026-12-31'));

    // One run with all the time it needs.
    const whole = await upgraded();
    const one = await runCoins(whole.p.program, dayNumber('2026-11-10'), whole.ports);
    expect(one).toMatchObject({ backfillDone: true, backfilled: 7 });

    // The same stack, each run out of time after its first page.
    const cut = await upgraded();
    const starts: (string | undefined)[] = [];
    const members = {
      getMany: cut.p.members.getMany.bind(cut.p.members),
      coinHolders: (from?: string) => (starts.push(from), cut.p.members.coinHolders(from)),
    };
    const run = () => runCoins(cut.p.program, dayNumber('2026-11-10'), { ...cut.ports, members }, { outOfTime: () => true });
    expect(await run()).toMatchObject({ backfillDone: false, backfilled: 3 });
    // Not the day's run yet: neither marked nor recorded.
    expect(await cut.p.hints.coinDue.backfilled()).toBe(false);
    expect(await cut.progress.lastRun('coins')).toBe(dayNumber('2026-11-06'));
    expect(await run()).toMatchObject({ backfillDone: false });
    // The third page is the last: the scan is done whatever the time.
    expect(await run()).toMatchObject({ backfillDone: true });
    expect(starts).toEqual([undefined, 'm3', 'm6']);
    expect(await cut.p.hints.coinDue.backfilled()).toBe(true);
    expect(await cut.progress.lastRun('coins')).toBe(dayNumber('2026-11-10'));
    // Every command the whole run sent, each once, and the same members hinted for later.
    expect([...new Set(cut.sent.map((c) => c.eventId))].sort()).toEqual(whole.sent.map((c) => c.eventId).sort());
    expect(whole.sent.length).toBeGreaterThan(0);
    expect((await hinted(cut.p)).sort()).toEqual((await hinted(whole.p)).sort());
    // A later run does not scan.
    await runCoins(cut.p.program, dayNumber('2026-11-11'), { ...cut.ports, members });
    expect(starts).toHaveLength(3);
  });
});
