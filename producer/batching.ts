// PutRecords requests within the Kinesis limits: at most 500 records and 5 MiB per request, each
// record's data plus partition key at most 1 MiB.
export const MAX_REQUEST_RECORDS = 500;
export const MAX_REQUEST_BYTES = 5 * 1024 * 1024;
export const MAX_RECORD_BYTES = 1024 * 1024;
/** Kinesis bills PUT payload units of 25 KB per record, rounded up. */
export const PAYLOAD_UNIT_BYTES = 25 * 1024;

/** A record as the caller gives it: bytes sent unchanged, with their partition key. */
export interface UserRecordInput {
  data: Uint8Array;
  partitionKey: string;
}

/** One Kinesis record of a request: a user record as is, or an aggregate of several. */
export interface PutEntry {
  data: Uint8Array;
  partitionKey: string;
  explicitHashKey?: string;
  /** The shard the producer expects it on (aggregates only). */
  expectedShardId?: string;
  /** The user records it carries, in order. */
  records: UserRecordInput[];
}

export class RecordTooLargeError extends Error {}

export function entryBytes(entry: Pick<PutEntry, 'data' | 'partitionKey'>): number {
  return entry.data.byteLength + Buffer.byteLength(entry.partitionKey, 'utf8');
}

export function payloadUnits(entry: Pick<PutEntry, 'data' | 'partitionKey'>): number {
  return Math.max(1, Math.ceil(entryBytes(entry) / PAYLOAD_UNIT_BYTES));
}

/** Splits entries into requests, in order; throws RecordTooLargeError for a record over 1 MiB. */
export function planRequests(
  entries: readonly PutEntry[],
  limits = { records: MAX_REQUEST_RECORDS, bytes: MAX_REQUEST_BYTES },
): PutEntry[][] {
  const requests: PutEntry[][] = [];
  let current: PutEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entryBytes(entry);
    if (size > MAX_RECORD_BYTES)
      throw new RecordTooLargeError(`a record of ${size} bytes (data + partition key) is over the 1 MiB Kinesis limit`);
    if (current.length >= limits.records || bytes + size > limits.bytes) {
      requests.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length) requests.push(current);
  return requests;
}

export function plainEntry(record: UserRecordInput): PutEntry {
  return { data: record.data, partitionKey: record.partitionKey, records: [record] };
}
