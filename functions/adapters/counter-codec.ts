// How a counter item stores its counters: one binary attribute `z`, the counters as deflated JSON,
// rather than a DynamoDB map of ~100 numbers. A read then decodes one value per item instead of
// parsing every counter as an attribute (that parsing was most of a metrics route's CPU: the API
// answers every /metrics route from tens to hundreds of such items), and an item is about half its
// map's size, so writes and reads take fewer units (AWS: "Best practices for storing large items
// and attributes", compressing attribute values).
//
// Written with a preset dictionary of the catalogue's names (counter-dictionary.ts), behind a
// marker byte no deflate stream begins with: a first byte's bits 1–2 are its block's type, and
// type 3 is reserved (RFC 1951 §3.2.3), so 0x07 tells the two forms apart. Items written before
// it, deflated without one, are read as they are.
import { deflateJson, inflateJson } from './deflated-json';
import { COUNTER_DICTIONARY_1 } from './counter-dictionary';

/** The attribute holding the encoded counters. */
export const COUNTERS_ATTRIBUTE = 'z';

/** The first byte of counters deflated with {@link COUNTER_DICTIONARY_1}. */
export const DICTIONARY_1_MARKER = 0x07;
const WITH_DICTIONARY = { dictionary: COUNTER_DICTIONARY_1 };

export function encodeCounters(counters: Readonly<Record<string, number>>): Uint8Array {
  const packed = deflateJson(counters, WITH_DICTIONARY);
  const out = new Uint8Array(packed.length + 1);
  out[0] = DICTIONARY_1_MARKER;
  out.set(packed, 1);
  return out;
}

/** The counters of an item's `z` (an item without one holds none). */
export function decodeCounters(encoded: Uint8Array | undefined): Record<string, number> {
  if (!encoded) return {};
  type Counters = Record<string, number>;
  return encoded[0] === DICTIONARY_1_MARKER ? inflateJson<Counters>(encoded.subarray(1), WITH_DICTIONARY) : inflateJson<Counters>(encoded);
}
