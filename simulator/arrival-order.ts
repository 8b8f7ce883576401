// The arrival order of one day's events: by time, ties in insertion order.

const ORDER_SLOTS = 2 ** 22;

/**
 * Indices of `ts` by time, ties kept in insertion order. Fast path: each key packs the offset from
 * the day start (< 2^27 ms) with the index (< 2^22) into one exactly representable double, sorted
 * natively without a comparator.
 */
export function arrivalOrder(ts: number[], dayStart: number): ArrayLike<number> {
  const n = ts.length;
  if (n < ORDER_SLOTS) {
    const keys = new Float64Array(n);
    let ok = true;
    for (let i = 0; i < n; i++) {
      const rel = ts[i] - dayStart;
      if (!(rel >= 0 && rel < 2 ** 30)) ok = false;
      keys[i] = rel * ORDER_SLOTS + i;
    }
    if (ok) {
      keys.sort();
      const order = new Uint32Array(n);
      for (let i = 0; i < n; i++) order[i] = keys[i] % ORDER_SLOTS;
      return order;
    }
  }
  const order: number[] = new Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order.sort((a, b) => ts[a] - ts[b] || a - b);
}
