// The API's reads of counter items keep what they decoded, per item, for the life of the process
// (a warm Lambda container, the local runtime): a metrics route sums tens to hundreds of items,
// most of them unchanged since the last request, and inflating and parsing each item's counters
// was the largest part of its CPU (/metrics/program under `npm run load`: 22 % in decodeCounters,
// another 10 % iterating the decoded objects). An entry is used only when the stored bytes are the
// very bytes it was decoded from (a byte comparison), so a changed item is always decoded afresh.
// Only the sums of the API use it; the consumer's read-modify-write of counter items does not.
import { decodeCounters } from './counter-codec';

/** An item's counters as parallel arrays (iterated without an entries array per item). */
export interface CounterList {
  names: readonly string[];
  values: readonly number[];
}

const EMPTY: CounterList = { names: [], values: [] };
/** Items kept: a year of day items over a dozen shards, and then some. */
export const MAX_DECODED_ITEMS = 20_000;
/** Memory kept, roughly (the API function has 512 MB): the bytes and ~16 bytes per counter. */
export const MAX_DECODED_BYTES = 32 * 1024 * 1024;

const cache = new Map<string, { bytes: Uint8Array; list: CounterList; cost: number }>();
let kept = 0;
let hits = 0;
let misses = 0;

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.compare(a, b) === 0;

/** The counters of item `itemKey` stored as `encoded`, from the cache when the bytes are the same. */
export function decodedCounters(itemKey: string, encoded: Uint8Array | undefined): CounterList {
  if (!encoded) return EMPTY;
  const known = cache.get(itemKey);
  if (known && sameBytes(known.bytes, encoded)) {
    hits++;
    return known.list;
  }
  misses++;
  const counters = decodeCounters(encoded);
  const list: CounterList = { names: Object.keys(counters), values: Object.values(counters) };
  // Map order is insertion order: delete-and-set keeps the most recent last, the oldest goes first.
  if (known) {
    cache.delete(itemKey);
    kept -= known.cost;
  }
  const cost = encoded.length + 16 * list.names.length + 64;
  cache.set(itemKey, { bytes: Uint8Array.from(encoded), list, cost });
  kept += cost;
  while (cache.size > MAX_DECODED_ITEMS || kept > MAX_DECODED_BYTES) {
    const [oldest, entry] = cache.entries().next().value!;
    cache.delete(oldest);
    kept -= entry.cost;
  }
  return list;
}

/** Hits and misses since the process started (for tests and benches). */
export const decodedCounterStats = () => ({ hits, misses, items: cache.size, bytes: kept });
