// The member item's outboxes (`cx` counts, `tp` the till's pending operations, `ao` actions, `oo`
// orders) deflated together into one binary attribute `ob` when that is smaller. They are texts
// of repeated names and numbers, written with the member and carried through later writes until
// replaced, and they are what most often took a member item over 1 KB — a second write unit on
// every write of it (bench: 286 of 1,095 member writes on 300 members × 30 days). An item keeps
// them apart when packing does not save bytes (small outboxes: deflate's few bytes of overhead).
import { deflateRawSync, inflateRawSync } from 'node:zlib';

export interface Outboxes {
  cx?: string;
  tp?: string;
  ao?: string;
  oo?: string;
}

const FIELDS = ['cx', 'tp', 'ao', 'oo'] as const;
/** Below this many bytes of outboxes, packing is not tried (it would save nothing). */
const MIN_PACKED_INPUT = 160;

const utf8Length = (text: string) => Buffer.byteLength(text, 'utf8');

/** The outboxes as the item stores them: `{ ob }` when packed is smaller, else as they are. */
export function packOutboxes(o: Outboxes): Outboxes | { ob: Uint8Array } {
  let separate = 0;
  for (const f of FIELDS) if (o[f] !== undefined) separate += f.length + utf8Length(o[f]!);
  if (separate < MIN_PACKED_INPUT) return o;
  const packed = deflateRawSync(JSON.stringify(FIELDS.map((f) => o[f] ?? null)));
  return 'ob'.length + packed.length < separate ? { ob: packed } : o;
}

export function unpackOutboxes(ob: Uint8Array): Outboxes {
  const values = JSON.parse(inflateRawSync(ob).toString('utf8')) as (string | null)[];
  const out: Outboxes = {};
  FIELDS.forEach((f, i) => {
    if (values[i] !== null && values[i] !== undefined) out[f] = values[i]!;
  });
  return out;
}
