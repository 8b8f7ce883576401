// runImport with the daily jobs caught up, over the in-memory pipeline, against a plain replay of
// the same history: each day's job commands delivered as their own batches (read from uncached
// hints), then the day's events in small batches. The import puts a day's commands into the batch
// of the day's first events and caches the jobs' hint lists; the figures, the actions and the
// members' programme state must come out the same.
import { describe, expect, it } from 'vitest';
import { addDays, dayNumber, dayOf, dayString, MS_PER_DAY, zoneOffsetMs } from '../../shared/days/days';
import { COMMAND_TYPES, type JobCommand } from '../../shared/events/events';
import { runImport, type ImportCheckpoint, type ImportSummary } from '../../shared/import/run-import';
import type { JobPorts } from '../../shared/jobs/ports';
import { runCoins } from '../../shared/jobs/run-coins';
import { runRfm } from '../../shared/jobs/run-rfm';
import { runTierReview } from '../../shared/jobs/run-tier-review';
import { runWinback } from '../../shared/jobs/run-winback';
import { eventsToJsonLines, simulate, withIdentities } from '../../simulator';
import { MemoryPipeline } from '../support/memory-pipeline';
import { MemoryJobProgress } from '../support/memory-ports';

const START = '2026-03-01';
const DAYS = 70;
const ARRIVED = Date.parse('2026-06-01T00:00:00Z');
const TZ = 'Asia/Shanghai';

function history(identities = false): { at: number; line: string }[] {
  const simulated = simulate({ members: 24, days: DAYS, seed: 11, start: START, timezone: TZ });
  const lines = [...eventsToJsonLines(identities ? withIdentities(simulated, { seed: 11 }) : simulated)];
  return lines.map((line) => ({ at: Date.parse(JSON.parse(line).occurredAt), line })).sort((a, b) => a.at - b.at);
}

const progressOf = new WeakMap<MemoryPipeline, MemoryJobProgress>();

function jobPorts(p: MemoryPipeline, counting?: { hintReads: number }): Omit<JobPorts, 'commands' | 'now'> {
  return {
    members: p.members,
    hints: {
      hintIds: async (key) => {
        if (counting) counting.hintReads++;
        return p.hints.ids(key);
      },
    },
    // The jobs' progress items live in the stack's table: kept across a resume.
    progress: progressOf.get(p) ?? progressOf.set(p, new MemoryJobProgress()).get(p)!,
    reviewIndex: {
      membersWithReviewBy: async (last) =>
        [...p.members.items.values()]
          .filter((m) => m.tier.tier > 0 && m.tier.tierReviewOn !== null && m.tier.tierReviewOn <= last && !m.linkedTo)
          .map((m) => m.memberId),
    },
    coinDue: p.hints.coinDue,
  };
}

/** The plain replay: the scheduled jobs each morning (their commands their own batches), then the day's events. */
async function replay(events: { at: number; line: string }[]): Promise<MemoryPipeline> {
  const p = new MemoryPipeline(undefined, () => ARRIVED);
  const ports = jobPorts(p);
  const byDay = new Map<number, string[]>();
  for (const e of events) byDay.set(dayOf(e.at, TZ), [...(byDay.get(dayOf(e.at, TZ)) ?? []), e.line]);
  const days = [...byDay.keys()];
  for (let day = days[0]; day <= days[days.length - 1] + 1; day++) {
    if (day > days[0]) {
      const commands: JobCommand[][] = [];
      const jp = {
        ...ports,
        commands: { put: async (c: readonly JobCommand[]) => void commands.push([...c]) },
        now: () => day * MS_PER_DAY - zoneOffsetMs(TZ, day * MS_PER_DAY),
      };
      await runCoins(p.program, day, jp);
      await runTierReview(p.program, day, jp);
      await runWinback(p.program, day, jp);
      await runRfm(p.program, day, jp);
      await p.deliver(p.records(commands.flat().map((c) => p.command(c))), 100);
    }
    await p.deliver(p.records(byDay.get(day) ?? []), 100);
  }
  return p;
}

async function imported(
  events: { at: number; line: string }[],
  batchSize: number,
  counting: { hintReads: number },
  stopAfterBatches = Infinity,
  checkpoint?: ImportCheckpoint,
  into = new MemoryPipeline(undefined, () => ARRIVED),
) {
  let saved: ImportCheckpoint | undefined = checkpoint;
  let summary: ImportSummary | undefined;
  let batches = 0;
  const source = async function* () {
    for (const e of events) yield e;
  };
  try {
    summary = await runImport(
      source(),
      { sourceId: 'import-test', arrivedAt: ARRIVED, batchSize, checkpoint },
      {
        batch: into.ports(),
        jobs: jobPorts(into, counting),
        saveCheckpoint: async (c) => void (saved = c),
        onBatch: () => {
          if (++batches >= stopAfterBatches) throw new Error('interrupted');
        },
      },
    );
  } catch (error) {
    if ((error as Error).message !== 'interrupted') throw error;
  }
  return { p: into, saved, summary };
}

function figures(p: MemoryPipeline) {
  const from = START;
  const to = dayString(addDays(dayNumber(START), DAYS + 1));
  const members = [...p.members.items.values()]
    .map((m) => ({
      memberId: m.memberId,
      tier: m.tier,
      lastActiveOn: m.activity.lastActiveOn,
      rfm: m.rfm,
      winback: m.winback,
      segments: m.segments,
      coins: m.coins,
    }))
    .sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
  return {
    daily: p.daily(from, to),
    retention: p.retention(from, to),
    actions: [...p.actions.byId.keys()].sort(),
    members,
  };
}

describe('runImport with the daily jobs caught up', () => {
  it('gives the figures, actions and member state of a plain replay; hint lists are read once, not every day', async () => {
    const events = history();
    const expected = figures(await replay(events));
    // The history is long enough for the jobs to matter: RFM snapshots set by their commands.
    expect(expected.members.filter((m) => m.rfm).length).toBeGreaterThan(0);

    const counting = { hintReads: 0 };
    const { p, summary } = await imported(events, 5000, counting);
    expect(figures(p)).toEqual(expected);
    // The summary's commands by type add up (the demo prints them as tier reviews, status checks…).
    const byType = summary!.jobCommandsByType;
    expect(Object.values(byType).reduce((a, b) => a + b, 0)).toBe(summary!.jobCommands);
    expect(byType.rfm_update).toBeGreaterThan(0);
    expect(Object.keys(byType).every((t) => (COMMAND_TYPES as readonly string[]).includes(t))).toBe(true);
    // Uncached, the RFM job alone reads 365 hint lists every day.
    expect(counting.hintReads).toBeLessThan(DAYS * 30);
  }, 240_000);

  it('interrupted twice and resumed from the saved checkpoint, gives the same', async () => {
    const events = history();
    const expected = figures(await replay(events));
    const counting = { hintReads: 0 };
    const first = await imported(events, 300, counting, 40);
    expect(first.saved?.applied).toBeGreaterThan(0);
    const second = await imported(events, 300, counting, 40, first.saved, first.p);
    expect(second.saved!.applied).toBeGreaterThan(first.saved!.applied);
    const last = await imported(events, 300, counting, Infinity, second.saved, second.p);
    expect(figures(last.p)).toEqual(expected);
  }, 240_000);

  it('applies the identity commands its batches put itself, before the later events; interrupted and resumed, the same', async () => {
    const events = history(true);
    const counting = { hintReads: 0 };
    const whole = await imported(events, 300, counting);
    // Links and absorbs took effect in the import (through the stream they came after it).
    const linked = [...whole.p.members.items.values()].filter((m) => m.identities.length > 0);
    expect(linked.length).toBeGreaterThan(0);
    expect(whole.saved?.identity?.lines ?? []).toEqual([]);
    const first = await imported(events, 300, counting, 25);
    const second = await imported(events, 300, counting, 25, first.saved, first.p);
    const last = await imported(events, 300, counting, Infinity, second.saved, second.p);
    expect(figures(last.p)).toEqual(figures(whole.p));
    expect([...last.p.members.items.values()].map((m) => [m.memberId, m.identities, m.linkedTo]).sort()).toEqual(
      [...whole.p.members.items.values()].map((m) => [m.memberId, m.identities, m.linkedTo]).sort(),
    );
  }, 240_000);
});
