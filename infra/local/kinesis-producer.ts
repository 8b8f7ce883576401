// Sends JSON lines to the events stream with PutRecords: chunks of ≤ 500 records and ≤ 5 MB,
// partition key = the line's memberId (else a hash of the line), failed entries retried.
import { createHash } from 'node:crypto';
import { PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { kinesisClient, sleep } from './aws';
import { readRunningState } from './state';

export interface PutLinesOptions {
  /** Default: MEMBERFLOW_EVENTS_STREAM, else the running stack's EventsStream. */
  streamName?: string;
  /** Called after each chunk with the total sent so far. */
  onProgress?: (sent: number) => void;
  /** Default: a client for AWS_ENDPOINT_URL_KINESIS, else the running stack's endpoint. */
  client?: KinesisClient;
}

const MAX_RECORDS = 500;
const MAX_BYTES = 5 * 1024 * 1024;
const MAX_RECORD_BYTES = 1024 * 1024;
const MAX_ATTEMPTS = 10;

export function partitionKeyFor(line: string): string {
  try {
    const id = JSON.parse(line)?.memberId;
    if (typeof id === 'string' && id.length > 0 && id.length <= 256) return id;
  } catch {
    /* not JSON: hash below */
  }
  return createHash('sha256').update(line).digest('hex');
}

function target(opts: PutLinesOptions): { client: KinesisClient; streamName: string; own: boolean } {
  let streamName = opts.streamName ?? process.env.MEMBERFLOW_EVENTS_STREAM;
  let client = opts.client;
  let own = false;
  if (!client) {
    let endpoint = process.env.AWS_ENDPOINT_URL_KINESIS;
    if (!endpoint || !streamName) {
      const state = readRunningState();
      endpoint ??= state.endpoints.kinesis;
      streamName ??= state.names.streams.EventsStream;
    }
    client = kinesisClient({ kinesis: endpoint });
    own = true;
  }
  if (!streamName) throw new Error('no events stream: pass streamName or set MEMBERFLOW_EVENTS_STREAM');
  return { client, streamName, own };
}

/** Sends every line unchanged as one record; returns how many were sent. */
export async function putLines(lines: string[], opts: PutLinesOptions = {}): Promise<number> {
  const { client, streamName, own } = target(opts);
  let sent = 0;
  try {
    let chunk: PutRecordsRequestEntry[] = [];
    let bytes = 0;
    const flush = async () => {
      if (!chunk.length) return;
      await putChunk(client, streamName, chunk);
      sent += chunk.length;
      opts.onProgress?.(sent);
      chunk = [];
      bytes = 0;
    };
    for (let i = 0; i < lines.length; i++) {
      const Data = Buffer.from(lines[i], 'utf8');
      const PartitionKey = partitionKeyFor(lines[i]);
      const size = Data.length + Buffer.byteLength(PartitionKey);
      if (size > MAX_RECORD_BYTES) throw new Error(`line ${i + 1} is ${size} bytes; a Kinesis record holds at most 1 MiB`);
      if (chunk.length >= MAX_RECORDS || bytes + size > MAX_BYTES) await flush();
      chunk.push({ Data, PartitionKey });
      bytes += size;
    }
    await flush();
  } finally {
    if (own) client.destroy();
  }
  return sent;
}

async function putChunk(client: KinesisClient, StreamName: string, entries: PutRecordsRequestEntry[]): Promise<void> {
  let pending = entries;
  for (let attempt = 1; ; attempt++) {
    let failed: PutRecordsRequestEntry[];
    try {
      const res = await client.send(new PutRecordsCommand({ StreamName, Records: pending }));
      failed = res.FailedRecordCount ? pending.filter((_, i) => res.Records?.[i]?.ErrorCode) : [];
    } catch (err) {
      if (attempt >= MAX_ATTEMPTS) throw err;
      failed = pending; // throttling or a transient network error: resend the whole chunk
    }
    if (!failed.length) return;
    if (attempt >= MAX_ATTEMPTS) throw new Error(`${failed.length} records still failing after ${attempt} PutRecords attempts`);
    pending = failed;
    await sleep(Math.min(50 * 2 ** attempt, 2000));
  }
}
