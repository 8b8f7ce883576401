// `npm run send -- FILE|- [--wait] [--aggregate]`: each non-empty line → one record on the events
// stream of the running `npm start`, its bytes exactly as in the file (not decoded and re-encoded:
// a line that is not valid UTF-8 reaches the consumer as it is, to be quarantined as such).
// --aggregate packs the records into KPL aggregated records per shard; --wait also waits until the
// consumers have processed everything.
import { createReadStream } from 'node:fs';
import { kinesisClient } from '../engine/aws';
import { byteLines, isBlank } from './byte-lines';
import { putRaw } from '../engine/kinesis-producer';
import { readRunningState } from '../engine/state';

const CHUNK_LINES = 5000;
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const wait = args.includes('--wait');
  const aggregate = args.includes('--aggregate');
  const files = args.filter((a) => a !== '--wait' && a !== '--aggregate');
  if (files.length !== 1) throw new Error('usage: npm run send -- FILE   (FILE = - for stdin) [--wait] [--aggregate]');
  const state = readRunningState();
  const streamName = state.names.streams.EventsStream;
  if (!streamName) throw new Error('the running stack has no EventsStream');
  const client = kinesisClient(state.endpoints);
  const input = files[0] === '-' ? process.stdin : createReadStream(files[0]);
  let total = 0;
  let kinesisRecords = 0;
  const onCounters = (c: { kinesisRecords: number }) => void (kinesisRecords += c.kinesisRecords);
  try {
    let chunk: Uint8Array[] = [];
    for await (const line of byteLines(input as AsyncIterable<Buffer>)) {
      if (isBlank(line)) continue;
      chunk.push(line);
      if (chunk.length >= CHUNK_LINES) {
        total += await putRaw(chunk, { client, streamName, aggregate, onCounters });
        chunk = [];
      }
    }
    total += await putRaw(chunk, { client, streamName, aggregate, onCounters });
  } finally {
    client.destroy();
  }
  console.log(aggregate ? `sent ${total} records in ${kinesisRecords} Kinesis records` : `sent ${total} records`);
  if (wait && state.apiUrl) {
    const res = await fetch(`${state.apiUrl}/_local/drain`, { method: 'POST', headers: { authorization: `Bearer ${state.token}` } });
    if (!res.ok) throw new Error(`waiting for the consumers failed: HTTP ${res.status} ${await res.text()}`);
    console.log('processed');
  }
}

main().catch((err) => {
  console.error(`send: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
