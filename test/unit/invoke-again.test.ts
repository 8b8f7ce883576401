// A job stopped short of its end queues itself again (functions/adapters/invoke-again.ts).
import { describe, expect, it } from 'vitest';
import { invokeAgain } from '../../functions/adapters/invoke-again';

describe('invokeAgain', () => {
  it('queues the same function with the event it is given', async () => {
    const calls: [string, unknown][] = [];
    const invoke = async (name: string, payload: unknown) => void calls.push([name, payload]);
    expect(await invokeAgain({ functionName: 'stack-CoinsFunction' }, { job: 'coins', asOf: '2026-12-04' }, invoke)).toBe(true);
    expect(calls).toEqual([['stack-CoinsFunction', { job: 'coins', asOf: '2026-12-04' }]]);
  });

  it('says false, and throws nothing, without a Lambda context or when the invoke fails', async () => {
    const calls: string[] = [];
    const invoke = async (name: string) => void calls.push(name);
    expect(await invokeAgain(undefined, { job: 'coins' }, invoke)).toBe(false);
    expect(calls).toEqual([]);
    const failing = async () => {
      throw new Error('AccessDeniedException');
    };
    expect(await invokeAgain({ functionName: 'stack-CoinsFunction' }, { job: 'coins' }, failing)).toBe(false);
  });
});
