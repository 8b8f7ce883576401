// `npm ci && npm run demo` on a fresh clone: the console bundle is build output (not committed), so
// every npm script whose entry reaches functions/api/console-assets.ts must build it first. This
// failed on a fresh clone (ERR_MODULE_NOT_FOUND console-assets.generated) until the pre-scripts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildGraph } from '../../tools/import-graph';

const repoRoot = path.resolve(__dirname, '../..');
const scripts: Record<string, string> = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).scripts;
const edges = buildGraph(repoRoot);
const next = new Map<string, string[]>();
for (const e of edges) if (e.to) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);

function reaches(entry: string, target: string): boolean {
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (file === target) return true;
    if (seen.has(file)) continue;
    seen.add(file);
    stack.push(...(next.get(file) ?? []));
  }
  return false;
}

const buildsConsole = (name: string) => /\bbuild:console\b/.test(`${scripts[`pre${name}`] ?? ''} ${scripts[name]}`);

describe('npm scripts that load the console build it first', () => {
  const entries = Object.entries(scripts)
    .map(([name, command]) => ({ name, entry: /\btsx ([\w/.-]+\.ts)/.exec(command)?.[1] }))
    .filter((s): s is { name: string; entry: string } => s.entry !== undefined && !s.name.startsWith('pre'));

  it('finds the scripts that start the stack', () => {
    const needing = entries.filter((s) => reaches(s.entry, 'functions/api/console-assets.ts')).map((s) => s.name);
    expect(needing).toEqual(expect.arrayContaining(['start', 'demo', 'chaos', 'load', 'bench:cpu:source']));
  });

  it('bench:cpu, which bundles bench/cpu-only.ts (bench/cpu-bundle.ts) instead of importing it', () => {
    expect(reaches('bench/cpu-only.ts', 'functions/api/console-assets.ts')).toBe(true);
    expect(buildsConsole('bench:cpu')).toBe(true);
  });

  it.each(entries.map((s) => [s.name, s.entry]))('%s', (name, entry) => {
    if (reaches(entry, 'functions/api/console-assets.ts')) expect(buildsConsole(name), `${name} needs build:console first`).toBe(true);
  });
});
