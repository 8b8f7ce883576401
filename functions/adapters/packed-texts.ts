// The member item's longer texts deflated together into one binary attribute when that is
// smaller: the outboxes (`cx` counts, `tp` the till's pending operations, `ao` actions, `oo`
// orders), written with the member and carried through every later write until replaced, and the
// run-length lists (`ps` purchase stats, `ph` points history, `evd` the eventId ring's days). They
// are texts of repeated names and numbers, and they were what most often took a member item over
// 1 KB — a second write unit on every write of it (bench: 286 of 1,095 member writes on 300
// members × 30 days with none packed, 118 with the outboxes packed). An item keeps them apart when
// packing does not save bytes (small texts: deflate's few bytes of overhead). Attributes read by
// projection (`sg`, `cm`) and the random eventId ring `ev` (it does not compress) stay apart.
//
// `oz` is deflated with a preset dictionary of the names the texts share across members
// (packed-texts-dictionary.ts): a text no longer spells them out once itself. On the bench's
// workload that took 516 of 16,357 member writes over 1 KB down to 297. `ob`, deflated without
// one, is what items written before it hold; both are read.
import { deflateJson, inflateJson } from './deflated-json';
import { PACKED_TEXTS_DICTIONARY_1 } from './packed-texts-dictionary';

export interface PackedTexts {
  cx?: string;
  tp?: string;
  ao?: string;
  oo?: string;
  ps?: string;
  ph?: string;
  evd?: string;
}

/** The texts packed: `oz` with the dictionary; `ob` (without one) only on items written before it. */
export interface PackedAttributes {
  oz?: Uint8Array;
  ob?: Uint8Array;
}

// The stored order: a new field goes at the end (items written before read it as absent).
const FIELDS = ['cx', 'tp', 'ao', 'oo', 'ps', 'ph', 'evd'] as const;
/** Below this many bytes of text, packing is not tried (it would save nothing a write unit notices). */
const MIN_PACKED_INPUT = 160;
const WITH_DICTIONARY = { dictionary: PACKED_TEXTS_DICTIONARY_1 };

const utf8Length = (text: string) => Buffer.byteLength(text, 'utf8');

/** The texts as the item stores them: `{ oz }` when packed is smaller, else as they are. */
export function packTexts(o: PackedTexts): PackedTexts | { oz: Uint8Array } {
  let separate = 0;
  for (const f of FIELDS) if (o[f] !== undefined) separate += f.length + utf8Length(o[f]!);
  if (separate < MIN_PACKED_INPUT) return o;
  const packed = deflateJson(
    FIELDS.map((f) => o[f] ?? null),
    WITH_DICTIONARY,
  );
  return 'oz'.length + packed.length < separate ? { oz: packed } : o;
}

/** The texts of an item's packed attribute, or null when it has none (its texts stand apart). */
export function unpackTexts(item: PackedAttributes): PackedTexts | null {
  if (!item.oz && !item.ob) return null;
  const values = item.oz ? inflateJson<(string | null)[]>(item.oz, WITH_DICTIONARY) : inflateJson<(string | null)[]>(item.ob!);
  const out: PackedTexts = {};
  FIELDS.forEach((f, i) => {
    if (values[i] !== null && values[i] !== undefined) out[f] = values[i]!;
  });
  return out;
}
