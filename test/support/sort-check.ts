// Child-process helper for the memory tests: sorts FILE... with the import's external sort and
// merges the runs, printing {events, members, ordered, runs, digest, peakHeapMb} as JSON.
// `--run-chars N` sets the run size (default: the import's own); digest is line-digest.ts's
// order-independent sum over the merged lines, so a lost, doubled or altered line shows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { mergeRuns, sortToRuns } from '../../infra/local/cli/import-sort';
import { lineDigest } from './line-digest';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { 'run-chars': { type: 'string' } } });
const runChars = values['run-chars'] ? Number(values['run-chars']) : undefined;
const dir = mkdtempSync(path.join(tmpdir(), 'mf-sort-'));
let peak = 0;
const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 20);
const sorted = await sortToRuns(positionals, { dir, nowMs: Date.now(), runChars, onBad: () => undefined });
let events = 0;
let last = -Infinity;
let ordered = true;
let digest = 0;
for await (const e of mergeRuns(sorted.runs)) {
  events++;
  if (e.at < last) ordered = false;
  last = e.at;
  digest = (digest + lineDigest(e.line)) % 2 ** 48;
}
clearInterval(sample);
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({ events, members: sorted.members, ordered, runs: sorted.runs.length, digest, peakHeapMb: Math.round(peak / 1048576) }),
);
