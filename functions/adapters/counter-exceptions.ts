// A counter item's list of exceptions to its mark (`hx`: member ids, and the batch progress's till
// settle entries; shared/batch/counter-marks.ts, batch-progress.ts), deflated into `hz` when that
// is smaller. A batch's settle entries each carry a 56-digit sequence number and repeat the same
// prefixes: listed as they are, a batch of till redemptions made its progress record several KB,
// written twice per batch (bench/redemptions.ts: most of the consumer's write units per redemption).
import { deflateJson, inflateJson } from './deflated-json';

export interface StoredExceptions {
  hx?: string[];
  hz?: Uint8Array;
}

/** The list as stored, either form. */
export function exceptionsOf(item: StoredExceptions): string[] | undefined {
  if (item.hz) return inflateJson<string[]>(item.hz);
  return item.hx?.length ? item.hx : undefined;
}

/** The attributes that store `list` (none for an empty one): packed when smaller. */
export function exceptionsAttributes(list: readonly string[] | undefined): StoredExceptions {
  if (!list?.length) return {};
  // A list attribute costs each string's bytes plus a byte or so per element and a few for the list.
  const listed = list.reduce((n, s) => n + Buffer.byteLength(s) + 1, 3);
  if (listed < 100) return { hx: [...list] };
  const packed = deflateJson(list);
  return packed.length < listed ? { hz: new Uint8Array(packed) } : { hx: [...list] };
}
