// The till's coin counts added by the consumer (shared/coins/settle.ts): the api writes its member,
// puts a coins_settle record and stores the ledger record naming it; the consumer adds the counts
// at that record's position, exactly once — under a redelivery, a crash between the ledger record
// and the counter writes, a batch given up and replayed, a settle record put twice, and an api that
// died before storing its record (the consumer stores it from the member's pending entry).
import { COIN_TOTALS_KEY } from '../../shared/coins/outbox';
import { describe, expect, it } from 'vitest';
import { adjust, redeem, reverseRedemption, MAX_WAITING, WAIT_MS } from '../../shared/coins/operations';
import { countedAt, withCountPlace } from '../../shared/coins/settle';
import { personCoinLedger } from '../../shared/coins/ledger-view';
import { processBatch } from '../../shared/batch/process-batch';
import type { MetricsPort } from '../../shared/batch/counter-marks';
import { BATCH_PROGRESS_KEY } from '../../shared/batch/batch-progress';
import type { MemberState } from '../../shared/member/state';
import { defaultProgram } from '../../shared/programme/load';
import { memoryCoinFigures } from '../support/coin-figures';
import { orderLines } from '../support/event-lines';
import { MemoryPipeline } from '../support/memory-pipeline';
import { MemoryTill, MemoryTillApi } from '../support/memory-till';

const program = defaultProgram();
const NOW = Date.parse('2027-01-10T04:00:00Z'); // the purchases' coins are available by then
const orders = orderLines();

async function setup() {
  const p = new MemoryPipeline(program, () => NOW);
  const till = new MemoryTill();
  await p.deliver(
    p.records([
      orders.purchase('m1', 'o1', '2026-11-01', [['a', 'meat', 50_000]]),
      orders.purchase('m2', 'o2', '2026-11-01', [['a', 'meat', 50_000]]),
    ]),
  );
  const api = new MemoryTillApi(p, till, program, () => NOW);
  return { p, till, api, ports: () => p.ports({ till }) };
}

/** The pipeline's counters, but every write of the coin totals' item (`totals`) fails: an attempt dies at its counter writes. */
const failingTotals = (p: MemoryPipeline): MetricsPort => ({
  read: (keys, shard) => p.metrics.read(keys, shard),
  write: async (key, shard, item, prev) => {
    if (key === COIN_TOTALS_KEY) throw new Error('injected: counter write failed');
    return p.metrics.write(key, shard, item, prev);
  },
});

const TODAY = '2027-01-10';
const redeemed = (p: MemoryPipeline) => {
  const f = memoryCoinFigures(p, TODAY, TODAY)[0];
  return { redeemed: f.redeemed, reversed: f.reversed, adjusted: f.adjusted, outstanding: f.outstanding + f.pending };
};

describe('the till coin counts, added by the consumer from coins_settle records', () => {
  it('counts a redemption, its reversal and an adjustment once each, none before its settle record is taken', async () => {
    const { p, api, ports } = await setup();
    const before = redeemed(p).outstanding;
    expect(before).toBe(1000);
    await redeem(api.deps(), 'm1', 'r1', { coins: 40 });
    expect(redeemed(p)).toEqual({ redeemed: 0, reversed: 0, adjusted: 0, outstanding: 1000 });
    await p.deliver(api.stream.splice(0), 100, ports());
    expect(redeemed(p)).toEqual({ redeemed: 40, reversed: 0, adjusted: 0, outstanding: 960 });
    await reverseRedemption(api.deps(), 'm1', 'r1');
    await adjust(api.deps(), 'm1', 'a1', { coins: 7, reason: 'goodwill' });
    // The same request again: answered from the ledger once the api stored the reversal still
    // pending on the member (an operation on the same key), with a settle record of its own. The
    // adjustment keeps waiting for the consumer, its settle record put again each time: the
    // reversal's records three times, the adjustment's three.
    expect((await redeem(api.deps(), 'm1', 'r1', { coins: 40 })).status).toBe(200);
    const records = api.stream.splice(0);
    expect(records).toHaveLength(5);
    // Delivered twice (a redelivery of the whole batch after it was done).
    await p.deliver(records, 100, ports());
    await p.deliver(records, 100, ports());
    expect(redeemed(p)).toEqual({ redeemed: 40, reversed: 40, adjusted: 7, outstanding: 1007 });
  });

  it('a settle record put twice counts once; one met before the api stored its record is stored from the member and counts once', async () => {
    const { p, till, api, ports } = await setup();
    api.twiceNext = true;
    await redeem(api.deps(), 'm1', 'r1', { coins: 10 });
    // The api died after its settle record: the consumer stores the record from the pending entry.
    api.dieNext = 'after-settle';
    await expect(redeem(api.deps(), 'm2', 'r2', { coins: 20 })).rejects.toThrow('died');
    expect(await till.operation('m2', 'c#r#r2')).toBeNull();
    await p.deliver(api.stream.splice(0), 100, ports());
    expect(await till.operation('m2', 'c#r#r2')).toMatchObject({ body: { coins: 20 } });
    // The till retries: the stored answer, and nothing counted again.
    expect((await redeem(api.deps(), 'm2', 'r2', { coins: 20 })).status).toBe(200);
    await p.deliver(api.stream.splice(0), 100, ports());
    expect(redeemed(p)).toMatchObject({ redeemed: 30, outstanding: 970 });
  });

  it('an api that died before its settle record: the member next operation puts it, each counted once', async () => {
    const { p, api, ports } = await setup();
    api.dieNext = 'before-settle';
    await expect(redeem(api.deps(), 'm1', 'r1', { coins: 10 })).rejects.toThrow('died');
    await redeem(api.deps(), 'm1', 'r2', { coins: 5 });
    await p.deliver(api.stream.splice(0), 100, ports());
    expect(redeemed(p)).toMatchObject({ redeemed: 15, outstanding: 985 });
  });

  it('counts once when the counter writes fail after the records were stored, redelivered or given up and replayed', async () => {
    for (const mode of ['redelivered', 'given-up'] as const) {
      const { p, till, api, ports } = await setup();
      await redeem(api.deps(), 'm1', 'r1', { coins: 10 });
      api.dieNext = 'after-settle';
      await expect(redeem(api.deps(), 'm2', 'r2', { coins: 20 })).rejects.toThrow('died');
      const batch = api.stream.splice(0);
      // The attempt stores r2's record, then dies at its first counter write.
      await expect(processBatch(batch, p.ports({ till, metrics: failingTotals(p) }))).rejects.toThrow('injected');
      expect(await till.operation('m2', 'c#r#r2')).not.toBeNull();
      if (mode === 'redelivered') await p.deliver(batch, 100, ports());
      else {
        // Given up: the next batch of the shard (an event of another member) takes the list over,
        // then the runbook replays the given-up records at new positions.
        await p.deliver(p.records([orders.purchase('m3', 'o3', '2027-01-10', [['a', 'meat', 1_000]])]), 100, ports());
        const replay = p.records(batch.map((r) => new TextDecoder().decode(r.data)));
        await p.deliver(replay, 100, ports());
      }
      expect(redeemed(p), mode).toMatchObject({ redeemed: 30 });
      expect(redeemed(p).outstanding, mode).toBe(mode === 'given-up' ? 980 : 970);
    }
  });

  it('a batch given up before any attempt listed its settle records: the replay counts them once (chaos seed 11)', async () => {
    const { p, till, api, ports } = await setup();
    await redeem(api.deps(), 'm1', 'r1', { coins: 10 });
    await adjust(api.deps(), 'm2', 'a1', { coins: -4, reason: 'correction' });
    const batch = api.stream.splice(0);
    // Every attempt dies at its first read of the counter items, before the batch progress.
    const dead: MetricsPort = {
      read: async () => {
        throw new Error('injected: throttled');
      },
      write: (key, shard, item, prev) => p.metrics.write(key, shard, item, prev),
    };
    for (let attempt = 0; attempt < 3; attempt++)
      await expect(processBatch(batch, p.ports({ till, metrics: dead }))).rejects.toThrow('injected');
    // Given up: the shard moves on, then the runbook replays the records (twice, by mistake).
    await p.deliver(p.records([orders.purchase('m3', 'o3', '2027-01-10', [['a', 'meat', 1_000]])]), 100, ports());
    expect(redeemed(p)).toMatchObject({ redeemed: 0, adjusted: 0 });
    const lines = batch.map((r) => new TextDecoder().decode(r.data));
    await p.deliver(p.records(lines), 100, ports());
    await p.deliver(p.records(lines), 100, ports());
    expect(redeemed(p)).toMatchObject({ redeemed: 10, adjusted: -4, outstanding: 1000 - 10 - 4 + 10 });
    expect(await till.operation('m1', 'c#r#r1')).toMatchObject({ body: { coins: 10 } });
  });

  it('a record the api stored (the member’s next operation came first) is claimed by the settle record the consumer takes, also after a give-up before listing', async () => {
    const { p, till, api, ports } = await setup();
    await redeem(api.deps(), 'm1', 'r1', { coins: 10 });
    // The next operation a minute later, the consumer still behind: the api stores r1 (no place) and drops it.
    await redeem({ ...api.deps(), now: () => NOW + WAIT_MS }, 'm1', 'r2', { coins: 5 });
    expect(countedAt((await till.operation('m1', 'c#r#r1'))!, 'r#r1').at).toBeUndefined();
    const batch = api.stream.splice(0);
    // r1's own settle record, the api's second one for r1, r2's: every attempt dies before listing.
    expect(batch).toHaveLength(3);
    const dead: MetricsPort = {
      read: async () => {
        throw new Error('injected: throttled');
      },
      write: (key, shard, item, prev) => p.metrics.write(key, shard, item, prev),
    };
    await expect(processBatch(batch, p.ports({ till, metrics: dead }))).rejects.toThrow('injected');
    await p.deliver(p.records([orders.purchase('m3', 'o3', '2027-01-10', [['a', 'meat', 1_000]])]), 100, ports());
    const lines = batch.map((r) => new TextDecoder().decode(r.data));
    await p.deliver(p.records(lines), 100, ports());
    await p.deliver(p.records(lines), 100, ports());
    expect(redeemed(p)).toMatchObject({ redeemed: 15 });
    expect(countedAt((await till.operation('m1', 'c#r#r1'))!, 'r#r1').at).toBeDefined();
  });

  it('a reversal stored after the consumer claimed its redemption keeps the claim: a redelivered settle record of the redemption counts nothing (chaos seed 2026)', async () => {
    const { p, till, api, ports } = await setup();
    await redeem(api.deps(), 'm1', 'r1', { coins: 10 });
    const [first] = api.stream.splice(0);
    // The reversal before the consumer took r1: the api stores r1 naming no place (with a settle
    // record of its own) and builds the reversal from that record, then commits it pending.
    await reverseRedemption(api.deps(), 'm1', 'r1');
    const later = api.stream.splice(0);
    expect(later).toHaveLength(2);
    // r1's own settle record claims r1's place.
    await p.deliver([first], 100, ports());
    expect(countedAt((await till.operation('m1', 'c#r#r1'))!, 'r#r1').at).toBeDefined();
    // The batch of the api's second r1 settle record and the reversal's: the attempt stores the
    // reversal, then dies at its first counter write; the redelivery reads r1 again.
    await expect(processBatch(later, p.ports({ till, metrics: failingTotals(p) }))).rejects.toThrow('injected');
    expect(await till.operation('m1', 'c#r#r1')).toMatchObject({ reversed: true });
    expect(countedAt((await till.operation('m1', 'c#r#r1'))!, 'r#r1').at).toBeDefined();
    await p.deliver(later, 100, ports());
    expect(redeemed(p)).toEqual({ redeemed: 10, reversed: 10, adjusted: 0, outstanding: 1000 });
  });

  it('back-to-back operations on a member wait for the consumer, which stores their records; the api stores only the oldest past the cap', async () => {
    const { p, till, api, ports } = await setup();
    const n = MAX_WAITING + 2;
    const ids = Array.from({ length: n }, (_, i) => `r${i + 1}`);
    for (const [i, id] of ids.entries()) await redeem(api.deps(), 'm1', id, { coins: i + 1 });
    // At most MAX_WAITING on the member, the newest; the two oldest were stored by the api.
    expect(p.member('m1')!.tillOps?.map((op) => op.op)).toEqual(ids.slice(2).map((id) => `r#${id}`));
    expect(api.stores).toEqual(['r#r1', 'r#r2']);
    const reader = {
      coinLedger: async (id: string) => [...till.records.values()].filter((r) => r.memberId === id).flatMap((r) => r.entries),
    };
    const listed = async () =>
      (await personCoinLedger(reader, p.member('m1')!))
        .filter((e) => e.kind === 'redeem')
        .map((e) => e.ref)
        .sort();
    expect(await listed()).toEqual([...ids].sort());
    // Each waiting operation's settle record went out again with every later request: all counted once.
    await p.deliver(api.stream.splice(0), 3, ports());
    const total = (n * (n + 1)) / 2;
    expect(redeemed(p)).toEqual({ redeemed: total, reversed: 0, adjusted: 0, outstanding: 1000 - total });
    for (const id of ids) expect(countedAt((await till.operation('m1', `c#r#${id}`))!, `r#${id}`).at).toBeDefined();
    expect(await listed()).toEqual([...ids].sort());
    // A repeat is answered from the ledger; the next operation drops what the consumer stored.
    expect((await redeem(api.deps(), 'm1', 'r3', { coins: 3 })).status).toBe(200);
    await redeem(api.deps(), 'm1', 'last', { coins: 1 });
    expect(p.member('m1')!.tillOps?.map((op) => op.op)).toEqual(['r#last']);
    expect(api.stores).toEqual(['r#r1', 'r#r2']);
  });

  it('an operation waiting a minute is stored by the api (its settle records may be stuck) and counted once', async () => {
    const { p, api, ports } = await setup();
    api.dieNext = 'before-settle';
    await expect(redeem(api.deps(), 'm1', 'r1', { coins: 10 })).rejects.toThrow('died');
    await redeem({ ...api.deps(), now: () => NOW + WAIT_MS }, 'm1', 'r2', { coins: 5 });
    expect(api.stores).toEqual(['r#r1']);
    await p.deliver(api.stream.splice(0), 100, ports());
    expect(redeemed(p)).toMatchObject({ redeemed: 15, outstanding: 985 });
  });

  it('the coin ledger lists a redemption from the member until the consumer stores its record, then once', async () => {
    const { p, till, api, ports } = await setup();
    await redeem(api.deps(), 'm1', 'r1', { coins: 25 });
    const reader = {
      coinLedger: async (id: string) => [...till.records.values()].filter((r) => r.memberId === id).flatMap((r) => r.entries),
    };
    const redeems = async () =>
      (await personCoinLedger(reader, p.member('m1')!)).filter((e) => e.kind === 'redeem').map((e) => [e.ref, e.coins]);
    expect(await till.operation('m1', 'c#r#r1')).toBeNull();
    expect(await redeems()).toEqual([['r1', -25]]);
    await p.deliver(api.stream.splice(0), 100, ports());
    expect(await till.operation('m1', 'c#r#r1')).not.toBeNull();
    // The member still carries the entry (the consumer does not write it for a settle): listed once.
    expect(p.member('m1')!.tillOps).toHaveLength(1);
    expect(await redeems()).toEqual([['r1', -25]]);
  });

  it('a settle record of a member whose write failed in its batch counts once, there or in the redelivery', async () => {
    const { p, api, ports } = await setup();
    await redeem(api.deps(), 'm1', 'r1', { coins: 10 });
    const records = [...api.stream.splice(0), ...p.records([orders.purchase('m1', 'o9', '2027-01-10', [['a', 'meat', 1_000]])])];
    let fail = true;
    const members = {
      getMany: (ids: readonly string[]) => p.members.getMany(ids),
      put: async (state: MemberState) => {
        if (fail) {
          fail = false;
          return false; // the api wrote the member first
        }
        return p.members.put(state);
      },
    };
    await p.deliver(records, 100, p.ports({ till: ports().till, members }));
    expect(redeemed(p)).toMatchObject({ redeemed: 10 });
  });

  it('a settle record of a member whose write failed, in a batch Lambda then gives up on, counts once (with that batch, not again after the replay)', async () => {
    const { p, api, ports } = await setup();
    await redeem(api.deps(), 'm1', 'r1', { coins: 10 });
    const lines = [
      ...api.stream.splice(0).map((r) => new TextDecoder().decode(r.data)),
      orders.purchase('m1', 'o9', '2027-01-10', [['a', 'meat', 1_000]]),
    ];
    const members = {
      getMany: (ids: readonly string[]) => p.members.getMany(ids),
      put: async () => false, // the api wrote the member first, every time
    };
    // The one attempt stores r1's record naming its settle record and counts it (the api's
    // operation is committed), its member write fails; given up.
    const out = await processBatch(p.records(lines), p.ports({ till: ports().till, members }));
    expect(out.failedSeqs).toHaveLength(1);
    expect(redeemed(p)).toMatchObject({ redeemed: 10 });
    // The shard moves on (another member's event), then the runbook replays the batch at new positions.
    await p.deliver(p.records([orders.purchase('m3', 'o3', '2027-01-10', [['a', 'meat', 1_000]])]), 100, ports());
    await p.deliver(p.records(lines), 100, ports());
    expect(redeemed(p)).toMatchObject({ redeemed: 10 });
    expect(p.member('m1')!.lifetimePoints).toBeGreaterThan(p.member('m2')!.lifetimePoints);
  });

  it('a record the api stores while the consumer’s batch holds its settle records (after the batch read it missing) is claimed, not dropped', async () => {
    const { p, till, api, ports } = await setup();
    await redeem(api.deps(), 'm1', 'r1', { coins: 10 });
    const pending = p.member('m1')!.tillOps![0];
    // A repeat of r1 at the till: the api puts a settle record, then stores r1 naming no place —
    // the record lands after the consumer's batch (both settle records) looked r1 up and before it stores.
    await api.announce('m1', pending);
    const batch = api.stream.splice(0);
    expect(batch).toHaveLength(2);
    let apiStored = false;
    const racing: MetricsPort = {
      read: (keys, shard) => p.metrics.read(keys, shard),
      write: async (key, shard, item, prev) => {
        if (key === BATCH_PROGRESS_KEY && !apiStored) {
          apiStored = await till.storeOperation(withCountPlace(pending.record, pending.op, undefined, pending.counts));
        }
        return p.metrics.write(key, shard, item, prev);
      },
    };
    expect((await processBatch(batch, p.ports({ till, metrics: racing }))).failedSeqs).toEqual([]);
    expect(apiStored).toBe(true);
    expect(redeemed(p)).toMatchObject({ redeemed: 10, outstanding: 990 });
    expect(countedAt((await till.operation('m1', 'c#r#r1'))!, 'r#r1').at).toBeDefined();
    // Delivered again: nothing more.
    await p.deliver(batch, 100, ports());
    expect(redeemed(p)).toMatchObject({ redeemed: 10, outstanding: 990 });
  });
});
