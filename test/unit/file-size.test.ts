import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { lineCount, MAX_LINES, oversizedFiles } from '../../tools/check-file-size';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'memberflow-size-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lines = (n: number) => Array.from({ length: n }, (_, i) => `const x${i} = ${i};\n`).join('');

describe('the 500-line rule', () => {
  it('counts lines as an editor does', () => {
    expect(lineCount('')).toBe(0);
    expect(lineCount('a')).toBe(1);
    expect(lineCount('a\n')).toBe(1);
    expect(lineCount('a\nb')).toBe(2);
    expect(lineCount('a\n\nb\n')).toBe(3);
  });

  it('flags tracked source files over the limit, not data files or untracked files', () => {
    execFileSync('git', ['init', '-q'], { cwd: dir });
    writeFileSync(path.join(dir, 'at-limit.ts'), lines(MAX_LINES));
    writeFileSync(path.join(dir, 'over.ts'), lines(MAX_LINES + 1));
    writeFileSync(path.join(dir, 'style.css'), lines(MAX_LINES + 20));
    writeFileSync(path.join(dir, 'data.json'), lines(MAX_LINES * 3));
    writeFileSync(path.join(dir, 'untracked.ts'), lines(MAX_LINES * 2));
    execFileSync('git', ['add', 'at-limit.ts', 'over.ts', 'style.css', 'data.json'], { cwd: dir });
    expect(oversizedFiles(dir)).toEqual([
      { file: 'style.css', lines: MAX_LINES + 20 },
      { file: 'over.ts', lines: MAX_LINES + 1 },
    ]);
  });

  it('holds for this repository', () => {
    expect(oversizedFiles(repoRoot)).toEqual([]);
  });
});
