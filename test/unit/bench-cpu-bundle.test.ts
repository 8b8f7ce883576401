// The bench's handler CPU figure is taken on the code as deployed: bench/cpu-only.ts bundled with
// the stack's esbuild options (infra/bundling.ts) and run under the deployed NODE_OPTIONS.
import { describe, expect, it } from 'vitest';
import { bundledHandlerCpu } from '../../bench/cpu-bundle';
import { workload } from '../../bench/runs';
import { BATCH_CODE_V8_FLAGS } from '../../infra/runtime-flags';
import { loadProgram } from '../../shared/programme/load';

describe('the handler CPU bench, bundled as deployed', () => {
  it('runs the same workload as the bench process simulates, under the deployed V8 flags', async () => {
    const args = ['--members', '12', '--days', '3', '--seed', '5', '--start', '2026-03-02'];
    const lines: string[] = [];
    const result = await bundledHandlerCpu(args, (line) => lines.push(line));
    const w = workload(12, 3, 5, '2026-03-02', loadProgram());
    expect(w.plan.records).toBeGreaterThan(0);
    expect(result.events).toBe(w.plan.records);
    expect(result.v8Flags).toEqual([...BATCH_CODE_V8_FLAGS]);
    expect(result.passes).toHaveLength(5);
    expect(result.handlerMicrosPerEvent).toBe(Math.min(...result.passes));
    expect(lines.join('\n')).toMatch(/µs per event/);
  }, 60_000);
});
