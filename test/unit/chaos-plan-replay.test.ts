// The chaos plan replays a file at every size: a 60-member, 10-day run (fewer chunks than the
// replay period) once had no `replayed_file` fault, so `npm run chaos` exited 1 on a clean run.
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../harness/chaos/plan';

function lines(n: number): string[] {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({ eventId: `e${i}`, type: 'app_open', memberId: `m${i % 7}`, occurredAt: '2026-11-01T02:00:00Z' }),
  );
}

describe('the chaos send plan', () => {
  it.each([
    [1, 1],
    [2, 1],
    [3, 1],
    [4, 1],
    [8, 2],
  ])('with %i chunk(s) it replays %i file(s)', (chunks, replays) => {
    const plan = buildPlan(lines(chunks * 20), { seed: 3, chunkSize: 20 });
    expect(plan.counts.replays).toBe(replays);
    expect(plan.steps.filter((s) => s.kind === 'records' && s.label.startsWith('replay')).length).toBe(replays);
  });
});
