// A record's place in a Kinesis shard, and the one ordering of sequence numbers.

export interface StreamPosition {
  shardId: string;
  /** Decimal sequence number (longer than a DynamoDB Number can hold). */
  seq: string;
}

/** Compares decimal sequence numbers (no leading zeros) of any length: longer is later. */
export function compareSeq(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}
