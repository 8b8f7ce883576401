// Property: as pipeline-faults.property.test.ts, with the two things the chaos run's
// `--max-retries 1 --grow-retries` adds — a retry that carries a different stretch of the shard
// than the attempt before it (longer: records that arrived since; or shorter), and Lambda giving up
// on a batch after one retry, the shard moving on and the runbook replaying the given-up records
// from the bucket at new positions at the end — and member writes that lose their version race to
// the api. Every record applies once wherever it arrives, so the day, session and retention figures
// equal the activity oracle's on the same events, and the coin totals what the members' lots hold.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { eventsToJsonLines, simulate } from '../../simulator';
import { buildActivityOracle, type OracleEvent } from '../../harness/oracle/activity-oracle';
import { processBatch, type StreamRecord } from '../../shared/batch/process-batch';
import { MemoryPipeline } from '../support/memory-pipeline';
import { COIN_COUNTERS } from '../../shared/coins/outbox';
import { memoryCoinTotals } from '../support/coin-figures';
import { CoinRefusal, redeem, reverseRedemption } from '../../shared/coins/operations';
import { defaultProgram } from '../../shared/programme/load';
import { MemoryTill, MemoryTillApi } from '../support/memory-till';
import { FaultyPorts } from '../support/fault-ports';

const FROM = '2026-10-01';
const TO = '2026-11-09';

function workload(seed: number) {
  const events = [...simulate({ members: 50, days: 40, seed })] as unknown as OracleEvent[];
  const lines = [...eventsToJsonLines(events as never)];
  return { lines, oracle: buildActivityOracle(events, 'Asia/Shanghai') };
}
const workloads = new Map<number, ReturnType<typeof workload>>();
const cached = (seed: number) => workloads.get(seed) ?? workloads.set(seed, workload(seed)).get(seed)!;

interface Faults {
  /** Every n-th member write fails: thrown (a timeout before it was sent) or, every other time, lost to the api (false). */
  memberModulus: number;
  /** Every n-th counter write throws. */
  counterModulus: number;
  /** Every n-th attempt dies after 1–3 member writes (0: never). */
  crashModulus: number;
  /** Attempt lengths cycle through these (a retry may reach further or stop earlier than the attempt before it). */
  lengths: number[];
  /** Retries of a batch before Lambda gives up on it. */
  maxRetries: number;
  /** Every n-th consumer member write, the till first redeems (or reverses) on that member: the consumer's write loses the race (0: no till). */
  tillModulus: number;
}

async function deliverWithGiveUps(pipeline: MemoryPipeline, lines: readonly string[], faults: Faults) {
  const till = new MemoryTill();
  const api = new MemoryTillApi(pipeline, till, defaultProgram(), () => Date.parse('2026-11-10T04:00:00Z'));
  const redeemed = new Map<string, string[]>();
  let tillOps = 0;
  /** A redemption on the member, or every third time the reversal of its last one; a refusal is fine. */
  /**
   * A redemption on the member, or every third time the reversal of its last one; a refusal is
   * fine. Some requests die after their member write (before or after the settle record) and are
   * retried at once; some are repeated after they succeeded (the till's own retries).
   */
  const atTheTill = async (memberId: string) => {
    const n = ++tillOps;
    const last = redeemed.get(memberId)?.at(-1);
    const op = async () => {
      if (last && n % 3 === 0) await reverseRedemption(api.deps(), memberId, last);
      else {
        await redeem(api.deps(), memberId, `r${n}`, { coins: 1 + (n % 4) });
        if (redeemed.get(memberId)?.at(-1) !== `r${n}`) redeemed.set(memberId, [...(redeemed.get(memberId) ?? []), `r${n}`]);
      }
    };
    try {
      if (n % 5 === 0) api.dieNext = n % 10 === 0 ? 'after-settle' : 'before-settle';
      try {
        await op();
      } catch (error) {
        if (!(error instanceof Error) || error.message !== 'the request died') throw error;
        await op();
      }
      if (n % 4 === 0) await op();
    } catch (error) {
      api.dieNext = null;
      if (!(error instanceof CoinRefusal)) throw error;
    }
  };
  const ports = new FaultyPorts(pipeline, {
    ...faults,
    lostRaces: true,
    // The till writes the member first: the consumer's write loses the race.
    beforeMemberWrite: async (state, n) => {
      if (faults.tillModulus && n % faults.tillModulus === 0 && pipeline.member(state.memberId)) await atTheTill(state.memberId);
    },
  });
  const overrides = ports.overrides();
  const decoder = new TextDecoder();
  let attempts = 0;
  let givenUp = 0;
  /** One pass over `records`, as one shard's event source mapping; returns the given-up records' lines. */
  const pass = async (records: StreamRecord[]): Promise<string[]> => {
    const bucket: string[] = [];
    let at = 0;
    let retries = 0;
    // The till's settle records join the shard as they are put.
    while ((records.push(...api.stream.splice(0)), at < records.length)) {
      if (++attempts > 20_000) throw new Error('too many attempts');
      const part = records.slice(at, at + faults.lengths[attempts % faults.lengths.length]);
      ports.attempt(faults.crashModulus && attempts % faults.crashModulus === 0 ? 1 + (attempts % 3) : 0);
      let failedSeq: string | undefined;
      try {
        failedSeq = (await processBatch(part, pipeline.ports({ ...overrides, till }))).failedSeqs[0];
      } catch {
        failedSeq = part[0].seq;
      }
      if (failedSeq === undefined) {
        at += part.length;
        retries = 0;
        continue;
      }
      const from = records.findIndex((r) => r.seq === failedSeq);
      if (++retries <= faults.maxRetries) {
        at = from;
        continue;
      }
      // Given up: this attempt's records from the failed one go to the bucket; the shard moves on.
      givenUp++;
      bucket.push(...records.slice(from, at + part.length).map((r) => decoder.decode(r.data)));
      at += part.length;
      retries = 0;
    }
    return bucket;
  };
  let bucket = await pass(pipeline.records(lines));
  // The runbook replays the bucket (at new positions); a replay may be given up on too, and replayed again.
  for (let round = 0; bucket.length && round < 5; round++) {
    // Faults on in the first replays; later ones go through, as an operator's last one does.
    ports.enabled = round < 2;
    bucket = await pass(pipeline.records(bucket));
  }
  expect(bucket).toEqual([]);
  expect(api.stream).toEqual([]);
  return { attempts, givenUp, tillOps, till };
}

/** The till's coins redeemed and reversed, in the day items and in its records: equal when each operation is counted once. */
function tillFigures(pipeline: MemoryPipeline, till: MemoryTill) {
  const counted = { redeemed: 0, reversed: 0 };
  for (const key of pipeline.metrics.items.keys()) {
    if (!key.startsWith('d#')) continue;
    const sum = pipeline.metrics.sum(key);
    counted.redeemed += sum.get(COIN_COUNTERS.redeemed) ?? 0;
    counted.reversed += sum.get(COIN_COUNTERS.reversed) ?? 0;
  }
  const records = { redeemed: 0, reversed: 0 };
  for (const r of till.records.values()) {
    if (r.kind !== 'redemption') continue;
    records.redeemed += r.body.coins;
    if (r.reversed) records.reversed += r.body.coins;
  }
  return { counted, records };
}

/** The coin totals (in the totals items) and what the members' lots and debts hold: equal when each movement is counted once. */
function coinBalances(pipeline: MemoryPipeline) {
  const totals = memoryCoinTotals(pipeline);
  const lots = { available: 0, pending: 0, debt: 0 };
  for (const m of pipeline.members.items.values()) {
    for (const lot of m.coins.lots) lots[lot.booked ? 'available' : 'pending'] += lot.left;
    lots.debt += m.coins.debt;
  }
  const counted = {
    available: totals[COIN_COUNTERS.dAvailable] ?? 0,
    pending: totals[COIN_COUNTERS.dPending] ?? 0,
    debt: totals[COIN_COUNTERS.dDebt] ?? 0,
  };
  return { counted, lots };
}

describe('the batch path with give-ups and replays (property)', () => {
  it('counts every record once, however retries are cut and whatever Lambda gives up on', async () => {
    let gaveUp = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.constantFrom(7, 11),
          memberModulus: fc.integer({ min: 3, max: 11 }),
          counterModulus: fc.integer({ min: 4, max: 17 }),
          crashModulus: fc.constantFrom(0, 2, 3, 5),
          lengths: fc.array(fc.integer({ min: 5, max: 120 }), { minLength: 2, maxLength: 4 }),
          maxRetries: fc.constantFrom(0, 1, 2),
          tillModulus: fc.constantFrom(0, 4, 7),
        }),
        async ({ seed, ...faults }) => {
          const { lines, oracle } = cached(seed);
          const pipeline = new MemoryPipeline();
          const { givenUp, till } = await deliverWithGiveUps(pipeline, lines, faults);
          gaveUp += givenUp;
          expect(pipeline.daily(FROM, TO)).toEqual(oracle.daily(FROM, TO));
          expect(pipeline.sessions(FROM, TO)).toEqual(oracle.sessions(FROM, TO));
          expect(pipeline.retention(FROM, TO)).toEqual(oracle.retention(FROM, TO));
          const coins = coinBalances(pipeline);
          expect(coins.lots.available + coins.lots.pending).toBeGreaterThan(0);
          expect(coins.counted).toEqual(coins.lots);
          const tillCounts = tillFigures(pipeline, till);
          expect(tillCounts.counted).toEqual(tillCounts.records);
        },
      ),
      {
        numRuns: Number(process.env.PROP_RUNS ?? 25),
        seed: Number(process.env.PROP_SEED ?? 7),
        examples: [
          // A shorter retry dropped a member from the batch progress when its outbox lay beyond the
          // retry's end; the attempt that reached it was given up, and the replay found it held
          // (chaos seed 17 with grown retries: a new member's day-0 counts).
          [{ seed: 7, memberModulus: 3, counterModulus: 4, crashModulus: 0, lengths: [5, 9], maxRetries: 1, tillModulus: 0 }],
          // A counter item whose counts cancelled out in a batch was not written, its mark left
          // behind two outboxes; a later batch took one up again without the other (retention).
          [{ seed: 7, memberModulus: 11, counterModulus: 7, crashModulus: 2, lengths: [16, 29, 58, 101], maxRetries: 0, tillModulus: 7 }],
        ],
      },
    );
    // The property was about give-ups: there were some.
    expect(gaveUp).toBeGreaterThan(0);
  }, 300_000);
});
