// `npm run send -- FILE|- [--wait]`: each non-empty line → one record on the events stream of the
// running `npm start`; --wait also waits until the consumers have processed everything.
import { createReadStream } from 'node:fs';
import readline from 'node:readline';
import { kinesisClient } from './aws';
import { putLines } from './kinesis-producer';
import { readRunningState } from './state';

const CHUNK_LINES = 5000;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const wait = args.includes('--wait');
  const files = args.filter((a) => a !== '--wait');
  if (files.length !== 1) throw new Error('usage: npm run send -- FILE   (FILE = - for stdin) [--wait]');
  const state = readRunningState();
  const streamName = state.names.streams.EventsStream;
  if (!streamName) throw new Error('the running stack has no EventsStream');
  const client = kinesisClient(state.endpoints);
  const input = files[0] === '-' ? process.stdin : createReadStream(files[0]);
  let total = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      input.once('error', reject);
      input.once('open', () => resolve());
      if (files[0] === '-') resolve();
    });
    let chunk: string[] = [];
    for await (const raw of readline.createInterface({ input, crlfDelay: Infinity })) {
      if (raw.trim() === '') continue;
      chunk.push(raw);
      if (chunk.length >= CHUNK_LINES) {
        total += await putLines(chunk, { client, streamName });
        chunk = [];
      }
    }
    total += await putLines(chunk, { client, streamName });
  } finally {
    client.destroy();
  }
  console.log(`sent ${total} records`);
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
