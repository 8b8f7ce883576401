// How a counter item stores its counters: one binary attribute `z`, the counters as deflated JSON,
// rather than a DynamoDB map of ~100 numbers. A read then decodes one value per item instead of
// parsing every counter as an attribute (that parsing was most of a metrics route's CPU: the API
// answers every /metrics route from tens to hundreds of such items), and an item is about half its
// map's size, so writes and reads take fewer units (AWS: "Best practices for storing large items
// and attributes", compressing attribute values).
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/** The attribute holding the encoded counters. */
export const COUNTERS_ATTRIBUTE = 'z';

export function encodeCounters(counters: Readonly<Record<string, number>>): Uint8Array {
  return deflateRawSync(JSON.stringify(counters));
}

/** The counters of an item's `z` (an item without one holds none). */
export function decodeCounters(encoded: Uint8Array | undefined): Record<string, number> {
  return encoded ? (JSON.parse(inflateRawSync(encoded).toString('utf8')) as Record<string, number>) : {};
}
