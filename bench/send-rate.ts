// `npm run bench:send -- FILE [--window N] [--json]`: the local stream path at scale. Sends FILE's
// lines to the running `npm start` exactly as `npm run send` does (same producer, same chunks), in
// windows of N lines (default 10,000), and after each window prints the send rate of that window
// and how far the events consumer has got (its mapping's delivered records, GET /_local/stats), so
// a slowdown as kinesis-mock's shards fill shows as falling rates. Ends with a drain: the end-to-end
// rate is all events over the time from the first send to the consumers being idle.
import { createReadStream } from 'node:fs';
import { kinesisClient } from '../infra/local/engine/aws';
import { putRaw } from '../infra/local/engine/kinesis-producer';
import { readRunningState } from '../infra/local/engine/state';
import { byteLines, isBlank } from '../infra/local/cli/byte-lines';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const window = Number(flag('--window') ?? 10_000);
const json = args.includes('--json');
const file = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--window'));
if (!file || !(window > 0)) throw new Error('usage: npm run bench:send -- FILE [--window N] [--json]');

const state = readRunningState();
const streamName = state.names.streams.EventsStream;
const client = kinesisClient(state.endpoints);
const control = (path: string, method = 'GET') =>
  fetch(`${state.apiUrl}${path}`, { method, headers: { authorization: `Bearer ${state.token}` } }).then(async (r) => {
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
    return r.json() as Promise<Record<string, { recordsDelivered: number }>>;
  });
/** Records delivered to the events consumer (the mapping on the events stream). */
const delivered = async () => {
  const stats = await control('/_local/stats');
  const name = Object.keys(stats).find((k) => /events/i.test(k) && !/action|member|erasure/i.test(k)) ?? Object.keys(stats)[0];
  return stats[name]?.recordsDelivered ?? 0;
};

interface Row {
  sent: number;
  windowSendPerSec: number;
  consumed: number;
  consumedPerSec: number;
  elapsedSec: number;
}
const rows: Row[] = [];
const consumed0 = await delivered();
const t0 = performance.now();
let sent = 0;
let chunk: Uint8Array[] = [];
let tw = t0;
let lastConsumed = consumed0;
let tc = t0;
const flush = async () => {
  if (!chunk.length) return;
  sent += await putRaw(chunk, { client, streamName });
  chunk = [];
  const now = performance.now();
  const consumed = (await delivered()) - consumed0;
  const row: Row = {
    sent,
    windowSendPerSec: Math.round(((sent - (rows.at(-1)?.sent ?? 0)) / (now - tw)) * 1000),
    consumed,
    consumedPerSec: Math.round(((consumed - (lastConsumed - consumed0)) / (now - tc)) * 1000),
    elapsedSec: Math.round((now - t0) / 100) / 10,
  };
  lastConsumed = consumed + consumed0;
  tc = now;
  tw = performance.now();
  rows.push(row);
  if (!json)
    console.log(
      `sent ${row.sent}  send ${row.windowSendPerSec}/s  consumed ${row.consumed} (${row.consumedPerSec}/s)  ${row.elapsedSec} s`,
    );
};
for await (const line of byteLines(createReadStream(file) as AsyncIterable<Buffer>)) {
  if (isBlank(line)) continue;
  chunk.push(line);
  if (chunk.length >= window) await flush();
}
await flush();
const sendSec = (performance.now() - t0) / 1000;
await control('/_local/drain', 'POST');
const totalSec = (performance.now() - t0) / 1000;
client.destroy();
const summary = {
  events: sent,
  sendSec: Math.round(sendSec * 10) / 10,
  sendPerSec: Math.round(sent / sendSec),
  endToEndSec: Math.round(totalSec * 10) / 10,
  endToEndPerSec: Math.round(sent / totalSec),
  consumed: (await delivered()) - consumed0,
};
if (json) console.log(JSON.stringify({ rows, summary }));
else
  console.log(
    `${summary.events} events: sent in ${summary.sendSec} s (${summary.sendPerSec}/s); consumed end to end in ${summary.endToEndSec} s (${summary.endToEndPerSec}/s)`,
  );
