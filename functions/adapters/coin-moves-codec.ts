// The consumer's booked coin movements of one write (`available`, `expire`: a `c#m#…` item of
// LedgerTable, shared/coins/outbox.ts) as one deflated attribute `mz`: the movements' fields in
// order, not a list of maps. As maps (`entries`, items written before it) each movement spelt out
// its seven attribute names and its day as a timestamp, and a member whose next event booked ten
// lots made the item over 1 KB (a second write unit: 21 of 67 such writes on the bench).
import { deflateJson, inflateJson } from './deflated-json';
import type { BookedMove } from '../../shared/coins/outbox';

type StoredMove = [id: string, day: number, kind: BookedMove['kind'], coins: number, lot: number | null, ref: string];

export function packMoves(moves: readonly BookedMove[]): Uint8Array {
  const rows: StoredMove[] = moves.map((m) => [m.id, m.day, m.kind, m.coins, m.lot, m.ref]);
  return new Uint8Array(deflateJson(rows));
}

export function unpackMoves(bytes: Uint8Array): BookedMove[] {
  return inflateJson<StoredMove[]>(bytes).map(([id, day, kind, coins, lot, ref]) => ({ id, day, kind, coins, lot, ref }));
}
