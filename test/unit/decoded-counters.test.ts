// The API's cache of decoded counter items (functions/adapters/decoded-counters.ts): an item's
// counters come from the cache only while its stored bytes are the same; a changed item is decoded
// again, and the cache stays bounded.
import { describe, expect, it } from 'vitest';
import { encodeCounters } from '../../functions/adapters/counter-codec';
import { decodedCounters, decodedCounterStats, MAX_DECODED_BYTES, MAX_DECODED_ITEMS } from '../../functions/adapters/decoded-counters';

const asObject = (l: { names: readonly string[]; values: readonly number[] }) =>
  Object.fromEntries(l.names.map((n, i) => [n, l.values[i]]));

describe('decoded counter items', () => {
  it('decodes an item once while its bytes stay the same, and again when they change', () => {
    const before = decodedCounterStats();
    const first = encodeCounters({ dau: 3, orders: 2 });
    expect(asObject(decodedCounters('t|d#1|s0', first))).toEqual({ dau: 3, orders: 2 });
    // The same bytes in another buffer (each read gives new ones): from the cache.
    expect(asObject(decodedCounters('t|d#1|s0', Uint8Array.from(first)))).toEqual({ dau: 3, orders: 2 });
    // Written since: new bytes under the same key are decoded afresh.
    expect(asObject(decodedCounters('t|d#1|s0', encodeCounters({ dau: 4, orders: 2 })))).toEqual({ dau: 4, orders: 2 });
    // Bytes changed in place (the caller's buffer reused) do not reach the cached entry.
    const reused = encodeCounters({ dau: 5 });
    expect(asObject(decodedCounters('t|d#2|s0', reused))).toEqual({ dau: 5 });
    const other = encodeCounters({ dau: 6 });
    expect(other.length).toBe(reused.length);
    reused.set(other);
    expect(asObject(decodedCounters('t|d#2|s0', reused))).toEqual({ dau: 6 });
    expect(decodedCounters('t|d#3|s0', undefined).names).toEqual([]);
    const after = decodedCounterStats();
    expect(after.hits - before.hits).toBe(1);
  });

  it('keeps at most MAX_DECODED_ITEMS items, the least recently used leaving first', () => {
    const bytes = encodeCounters({ x: 1 });
    for (let i = 0; i < MAX_DECODED_ITEMS + 50; i++) decodedCounters(`bound|${i}`, bytes);
    expect(decodedCounterStats().items).toBeLessThanOrEqual(MAX_DECODED_ITEMS);
    const { hits } = decodedCounterStats();
    decodedCounters(`bound|${MAX_DECODED_ITEMS + 49}`, bytes); // the newest: still there
    expect(decodedCounterStats().hits).toBe(hits + 1);
    decodedCounters('bound|0', bytes); // the oldest: gone, decoded again
    expect(decodedCounterStats().hits).toBe(hits + 1);
  });

  it('keeps at most MAX_DECODED_BYTES of items (large items push the oldest out)', () => {
    const big = encodeCounters(Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`c${i}`, i * 7919])));
    for (let i = 0; i < 1200; i++) decodedCounters(`big|${i}`, big);
    const stats = decodedCounterStats();
    expect(stats.bytes).toBeLessThanOrEqual(MAX_DECODED_BYTES);
    const { hits } = decodedCounterStats();
    decodedCounters('big|0', big); // pushed out by the later ones
    expect(decodedCounterStats().hits).toBe(hits);
    decodedCounters('big|1199', big);
    expect(decodedCounterStats().hits).toBe(hits + 1);
  });
});
