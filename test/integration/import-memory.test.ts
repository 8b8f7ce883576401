// The import's external sort keeps memory bounded: a generated history several times larger than
// the heap limit (gzipped, in reverse time order) sorts and merges in order under --max-old-space-size.
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createGzip } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { eventsToJsonLines, simulate } from '../../simulator';

// 2,000 members × 120 days ≈ 330k events ≈ 54 MB of JSON (≈ 160 bytes a line): in a 48 MB heap it
// cannot be held at once, as UTF-16 strings in objects even less.
// (The 1M-event, 256 MB run is a manual figure in the README.)
const MEMBERS = 2000;

describe('import external sort', () => {
  it('sorts a history larger than the heap limit', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mf-big-'));
    const file = path.join(dir, 'big.jsonl.gz');
    const gz = createGzip();
    const out = gz.pipe(createWriteStream(file));
    // Written newest day first (days are simulated in order; reversing chunks of days keeps memory small).
    let written = 0;
    let rawBytes = 0;
    for (let block = 11; block >= 0; block--) {
      for (const line of eventsToJsonLines(
        simulate({ members: MEMBERS, days: 10, seed: block, start: `2025-${String(1 + block).padStart(2, '0')}-01` }),
      )) {
        if (!gz.write(`${line}\n`)) await once(gz, 'drain');
        written++;
        rawBytes += line.length + 1;
      }
    }
    gz.end();
    await once(out, 'finish');
    expect(rawBytes).toBeGreaterThan(48 * 1024 * 1024);
    const run = spawnSync(process.execPath, ['--max-old-space-size=48', '--import', 'tsx', 'test/support/sort-check.ts', file], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(result).toMatchObject({ events: written, ordered: true });
    expect(result.runs).toBeGreaterThan(1);
    expect(statSync(file).size).toBeLessThan(rawBytes);
  }, 600_000);
});
