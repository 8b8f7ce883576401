// The consumer's booked coin movements packed into one attribute (functions/adapters/coin-moves-codec.ts):
// they come back exactly, read as the ledger entries the maps gave, and ten lots made available
// at once stay under 1 KB, where the list of maps took two write units.
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { packMoves, unpackMoves } from '../../functions/adapters/coin-moves-codec';
import { movesAsEntries } from '../../shared/coins/ledger-view';
import { lotId } from '../../shared/coins/lots';
import type { BookedMove } from '../../shared/coins/outbox';
import { itemSize } from '../../bench/billing';

/** A member's next event booking `n` lots available (and one expiring), as the consumer files them. */
function booked(n: number): BookedMove[] {
  const moves: BookedMove[] = Array.from({ length: n }, (_, i) => {
    const lot = 258_999_661_581_847 - 7_919 * i;
    return { id: `available:${lotId(lot)}`, day: 20_747 + i, kind: 'available', coins: 100 + 37 * i, lot, ref: lotId(lot) };
  });
  const old = 140_737_488_355_327;
  moves.push({ id: `expire:${lotId(old)}`, day: 20_760, kind: 'expire', coins: -12, lot: old, ref: lotId(old) });
  return moves;
}

const item = (attributes: object) =>
  itemSize(marshall({ memberId: 'member-0042', sk: 'c#m#shardId-000000000003#4'.padEnd(70, '9'), kind: 'moves', ...attributes }));

describe('packed coin moves', () => {
  it('come back exactly, as the same ledger entries', () => {
    for (const moves of [[], booked(1), booked(10)]) {
      expect(unpackMoves(packMoves(moves))).toEqual(moves);
      expect(movesAsEntries(unpackMoves(packMoves(moves)))).toEqual(movesAsEntries(moves));
    }
  });

  it('keep ten lots made available at once under 1 KB, which the list of maps took over it', () => {
    const moves = booked(10);
    expect(item({ mz: packMoves(moves) })).toBeLessThanOrEqual(1024);
    expect(item({ entries: movesAsEntries(moves) })).toBeGreaterThan(1024);
  });
});
