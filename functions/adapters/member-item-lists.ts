// Compact encodings of the member item's growing lists and its stream position: a member item over
// 1 KB costs a write unit per started KB, and these are what grows with a member's purchases.
//
// Points history and purchase stats are ascending by day, so each day after the first is stored
// as its distance from the one before (`~` marks the form; items written before it hold whole days
// and are read as they are). The high-water position: a shard id of the form Kinesis gives
// (`shardId-` and 12 digits) as its number, a sequence number of digits packed two to a byte.
import type { PointsEntry } from '../../shared/points/tiers';
import type { PurchaseStat } from '../../shared/member/state';
import type { StreamPosition } from '../../shared/stream/position';

const DELTA = '~';

function days<T extends { day: number }>(entries: readonly T[], rest: (e: T) => string): string | undefined {
  if (!entries.length) return undefined;
  let previous = 0;
  return (
    DELTA +
    entries
      .map((e) => {
        const text = `${e.day - previous}:${rest(e)}`;
        previous = e.day;
        return text;
      })
      .join(',')
  );
}

function undays(text: string | undefined): number[][] {
  if (!text) return [];
  const delta = text.startsWith(DELTA);
  let previous = 0;
  return (delta ? text.slice(1) : text).split(',').map((entry) => {
    const fields = entry.split(':').map(Number);
    fields[0] = delta ? previous + fields[0] : fields[0];
    previous = fields[0];
    return fields;
  });
}

export const encodeHistory = (history: readonly PointsEntry[]) => days(history, (e) => String(e.points));

export const decodeHistory = (text: string | undefined): PointsEntry[] => undays(text).map(([day, points]) => ({ day, points }));

/** `days:cents` for a day of one order (most), `days:orders:cents` otherwise. */
export const encodePurchases = (purchases: readonly PurchaseStat[]) =>
  days(purchases, (p) => (p.orders === 1 ? String(p.cents) : `${p.orders}:${p.cents}`));

export function decodePurchases(text: string | undefined): PurchaseStat[] {
  const delta = !!text?.startsWith(DELTA);
  return undays(text).map((f) =>
    delta && f.length === 2 ? { day: f[0], orders: 1, cents: f[1] } : { day: f[0], orders: f[1], cents: f[2] },
  );
}

const KINESIS_SHARD = /^shardId-(\d{12})$/;

export function encodeShard(shardId: string): string | number {
  const m = KINESIS_SHARD.exec(shardId);
  return m ? Number(m[1]) : shardId;
}

export const decodeShard = (stored: string | number): string =>
  typeof stored === 'number' ? `shardId-${String(stored).padStart(12, '0')}` : stored;

/** Digits two to a byte after a byte holding their count; any other text as it is. */
export function encodeSeq(seq: string): string | Uint8Array {
  if (!/^\d{1,255}$/.test(seq)) return seq;
  const bytes = new Uint8Array(1 + Math.ceil(seq.length / 2));
  bytes[0] = seq.length;
  for (let i = 0; i < seq.length; i++) bytes[1 + (i >> 1)] |= Number(seq[i]) << (i % 2 ? 0 : 4);
  return bytes;
}

export function decodeSeq(stored: string | Uint8Array): string {
  if (typeof stored === 'string') return stored;
  let out = '';
  for (let i = 0; i < stored[0]; i++) out += (stored[1 + (i >> 1)] >> (i % 2 ? 0 : 4)) & 0xf;
  return out;
}

export function decodePosition(shard: string | number | undefined, seq: string | Uint8Array | undefined): StreamPosition | null {
  return shard !== undefined && seq !== undefined ? { shardId: decodeShard(shard), seq: decodeSeq(seq) } : null;
}
