// Child-process helper for the memory test: sorts FILE... with the import's external sort and
// merges the runs, printing {events, ordered, runs, peakHeapMb} as JSON.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mergeRuns, sortToRuns } from '../../infra/local/cli/import-sort';

const dir = mkdtempSync(path.join(tmpdir(), 'mf-sort-'));
let peak = 0;
const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 20);
const sorted = await sortToRuns(process.argv.slice(2), { dir, nowMs: Date.now(), runChars: 4 * 1024 * 1024, onBad: () => undefined });
let events = 0;
let last = -Infinity;
let ordered = true;
for await (const e of mergeRuns(sorted.runs)) {
  events++;
  if (e.at < last) ordered = false;
  last = e.at;
}
clearInterval(sample);
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ events, members: sorted.members, ordered, runs: sorted.runs.length, peakHeapMb: Math.round(peak / 1048576) }));
