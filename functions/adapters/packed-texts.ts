// The member item's longer texts deflated together into one binary attribute `ob` when that is
// smaller: the outboxes (`cx` counts, `tp` the till's pending operations, `ao` actions, `oo`
// orders), written with the member and carried through every later write until replaced, and the
// run-length lists (`ps` purchase stats, `ph` points history, `evd` the eventId ring's days). They
// are texts of repeated names and numbers, and they were what most often took a member item over
// 1 KB — a second write unit on every write of it (bench: 286 of 1,095 member writes on 300
// members × 30 days with none packed, 118 with the outboxes packed). An item keeps them apart when
// packing does not save bytes (small texts: deflate's few bytes of overhead). Attributes read by
// projection (`sg`, `cm`) and the random eventId ring `ev` (it does not compress) stay apart.
import { deflateRawSync, inflateRawSync } from 'node:zlib';

export interface PackedTexts {
  cx?: string;
  tp?: string;
  ao?: string;
  oo?: string;
  ps?: string;
  ph?: string;
  evd?: string;
}

// The stored order: a new field goes at the end (items written before read it as absent).
const FIELDS = ['cx', 'tp', 'ao', 'oo', 'ps', 'ph', 'evd'] as const;
/** Below this many bytes of text, packing is not tried (it would save nothing). */
const MIN_PACKED_INPUT = 160;

const utf8Length = (text: string) => Buffer.byteLength(text, 'utf8');

/** The texts as the item stores them: `{ ob }` when packed is smaller, else as they are. */
export function packTexts(o: PackedTexts): PackedTexts | { ob: Uint8Array } {
  let separate = 0;
  for (const f of FIELDS) if (o[f] !== undefined) separate += f.length + utf8Length(o[f]!);
  if (separate < MIN_PACKED_INPUT) return o;
  const packed = deflateRawSync(JSON.stringify(FIELDS.map((f) => o[f] ?? null)));
  return 'ob'.length + packed.length < separate ? { ob: packed } : o;
}

export function unpackTexts(ob: Uint8Array): PackedTexts {
  const values = JSON.parse(inflateRawSync(ob).toString('utf8')) as (string | null)[];
  const out: PackedTexts = {};
  FIELDS.forEach((f, i) => {
    if (values[i] !== null && values[i] !== undefined) out[f] = values[i]!;
  });
  return out;
}
