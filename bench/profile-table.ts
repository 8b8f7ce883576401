// `npx tsx bench/profile-table.ts FILE.cpuprofile [--top N] [--filter TEXT]`: a V8 CPU profile
// (node --cpu-prof) as a table of functions by self time and by total time (inclusive, each
// function counted once per sample however deep it recurses), for docs/capacity.md.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' }, filter: { type: 'string' }, lines: { type: 'string' } },
});
const profile = JSON.parse(readFileSync(positionals[0], 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (n: ProfileNode) => {
  const f = n.callFrame;
  const file = f.url ? basename(f.url.replace(/\?.*$/, '')) : '';
  return `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
};
const self = new Map<string, number>();
const total = new Map<string, number>();
let all = 0;
// Samples inside a filter function only, when --filter is given (e.g. the measured passes).
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  const chain: string[] = [];
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) chain.push(label(byId.get(at)!));
  if (values.filter && !chain.some((l) => l.includes(values.filter!))) return;
  all += dt;
  self.set(chain[0], (self.get(chain[0]) ?? 0) + dt);
  for (const l of new Set(chain)) total.set(l, (total.get(l) ?? 0) + dt);
});
const top = Number(values.top);
const pct = (x: number) => `${((100 * x) / all).toFixed(1)} %`;
console.log(`${(all / 1000).toFixed(0)} ms sampled${values.filter ? ` under ${values.filter}` : ''}\n`);
console.log('| self | function |\n|---:|---|');
for (const [l, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`| ${pct(t)} | \`${l}\` |`);
console.log('\n| total | function |\n|---:|---|');
for (const [l, t] of [...total].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`| ${pct(t)} | \`${l}\` |`);

// `--lines NAME`: the hottest source lines of functions whose label contains NAME (positionTicks).
if (values.lines) {
  const name = values.lines;
  const ticks = new Map<string, number>();
  for (const n of profile.nodes as (ProfileNode & { positionTicks?: { line: number; ticks: number }[] })[]) {
    if (!label(n).includes(name)) continue;
    for (const t of n.positionTicks ?? [])
      ticks.set(`${label(n)} line ${t.line}`, (ticks.get(`${label(n)} line ${t.line}`) ?? 0) + t.ticks);
  }
  console.log(`\nhottest lines of ${name}:`);
  for (const [l, t] of [...ticks].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${t} ticks  ${l}`);
}
