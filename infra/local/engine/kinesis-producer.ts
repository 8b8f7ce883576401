// Sends records to the events stream of the local stack with the producer library: each line's
// bytes unchanged, partition key = its memberId (else anonymousId, else a hash of the bytes),
// PutRecords within the Kinesis limits, failed entries re-sent; optionally KPL-aggregated.
import { createHash } from 'node:crypto';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { Producer, type ProducerCounters } from '../../../producer';
import { kinesisClient } from './aws';
import { readRunningState } from './state';

export interface PutLinesOptions {
  /** Default: MEMBERFLOW_EVENTS_STREAM, else the running stack's EventsStream. */
  streamName?: string;
  /** Called after each chunk with the total sent so far. */
  onProgress?: (sent: number) => void;
  /** Default: a client for AWS_ENDPOINT_URL_KINESIS, else the running stack's endpoint. */
  client?: KinesisClient;
  /** Pack records of one shard into KPL aggregated records. */
  aggregate?: boolean;
  /** Receives the producer's counters when done. */
  onCounters?: (counters: ProducerCounters) => void;
}

// Progress granularity; aggregation packs only records sent together, so it gets larger chunks.
const PROGRESS_CHUNK = 500;
const AGGREGATE_CHUNK = 5000;
const lenient = new TextDecoder('utf-8');

export function partitionKeyFor(line: string | Uint8Array): string {
  try {
    const value = JSON.parse(typeof line === 'string' ? line : lenient.decode(line));
    for (const key of [value?.memberId, value?.anonymousId]) if (typeof key === 'string' && key.length > 0 && key.length <= 256) return key;
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

/** Sends each byte string unchanged as one user record; returns how many were sent. */
export async function putRaw(items: readonly Uint8Array[], opts: PutLinesOptions = {}): Promise<number> {
  const { client, streamName, own } = target(opts);
  const producer = new Producer({ client, streamName, aggregate: opts.aggregate, maxAttempts: 10 });
  let sent = 0;
  try {
    const size = opts.aggregate ? AGGREGATE_CHUNK : PROGRESS_CHUNK;
    for (let i = 0; i < items.length; i += size) {
      const chunk = items.slice(i, i + size).map((data) => ({ data, partitionKey: partitionKeyFor(data) }));
      sent += (await producer.send(chunk)).sent;
      opts.onProgress?.(sent);
    }
  } finally {
    opts.onCounters?.(producer.counters);
    if (own) client.destroy();
  }
  return sent;
}

/** Sends every line unchanged (UTF-8) as one user record; returns how many were sent. */
export function putLines(lines: readonly string[], opts: PutLinesOptions = {}): Promise<number> {
  const encoder = new TextEncoder();
  return putRaw(
    lines.map((l) => encoder.encode(l)),
    opts,
  );
}
