// forEachLimited: after a failure no item is started, and the call rejects only once the items in
// flight have settled (a retry must not race the writes of the attempt it replaces).
import { describe, expect, it } from 'vitest';
import { forEachLimited } from '../../shared/util/limit';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('forEachLimited', () => {
  it('runs every item with at most `limit` in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const done: number[] = [];
    await forEachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await sleep(5);
      done.push(n);
      inFlight--;
    });
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
  });

  it('rejects with the first error only after the items in flight settled, and starts no other', async () => {
    let inFlight = 0;
    const started: number[] = [];
    const call = forEachLimited([1, 2, 3, 4, 5, 6], 3, async (n) => {
      started.push(n);
      inFlight++;
      try {
        if (n === 1) throw new Error('first');
        if (n === 2) {
          await sleep(10);
          throw new Error('second');
        }
        await sleep(30);
      } finally {
        inFlight--;
      }
    });
    await expect(call).rejects.toThrow('first');
    expect(inFlight).toBe(0);
    expect(started).toEqual([1, 2, 3]);
  });
});
