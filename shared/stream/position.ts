// A record's place in a Kinesis shard, and the one ordering of sequence numbers.
//
// A sub-record of a KPL aggregated record has its own position: the parent's sequence number and
// its index, `<parent seq>.<index>`. It sorts after every earlier record, after its parent's earlier
// sub-records and before any later record, so high-water marks and counter marks advance through
// an aggregate one sub-record at a time.

export interface StreamPosition {
  shardId: string;
  /** Decimal sequence number (longer than a DynamoDB Number can hold), `.index` for a sub-record. */
  seq: string;
}

const SUB = '.';

function compareDecimal(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

/** Compares positions: decimal sequence numbers (no leading zeros) of any length, then sub-record index. */
export function compareSeq(a: string, b: string): number {
  const ia = a.indexOf(SUB);
  const ib = b.indexOf(SUB);
  if (ia < 0 && ib < 0) return compareDecimal(a, b);
  const byParent = compareDecimal(ia < 0 ? a : a.slice(0, ia), ib < 0 ? b : b.slice(0, ib));
  if (byParent !== 0) return byParent;
  // The parent itself (no index) sorts before its sub-records.
  return compareDecimal(ia < 0 ? '' : a.slice(ia + 1), ib < 0 ? '' : b.slice(ib + 1));
}

/** The position of sub-record `index` of the aggregated record at `parentSeq`. */
export function subRecordSeq(parentSeq: string, index: number): string {
  return `${parentSeq}${SUB}${index}`;
}

/** The Kinesis sequence number a position belongs to (what a batch item failure must name). */
export function parentSeq(seq: string): string {
  const i = seq.indexOf(SUB);
  return i < 0 ? seq : seq.slice(0, i);
}
