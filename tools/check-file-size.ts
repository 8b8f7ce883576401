// `npm run lint:size`: fails on a source file over 500 lines (the guide's rule: small files with
// one job). Data and generated files are not source: JSON, JSON Lines, images and lock files.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const MAX_LINES = 500;
const SOURCE = /\.(ts|tsx|mts|cts|js|mjs|cjs|css|html|java|sh)$/;

/** Lines of a text: a final newline does not start another line. */
export function lineCount(text: string): number {
  if (text === '') return 0;
  const newlines = text.split('\n').length - 1;
  return text.endsWith('\n') ? newlines : newlines + 1;
}

/** Tracked source files over the limit, longest first. */
export function oversizedFiles(repoRoot: string, max = MAX_LINES): { file: string; lines: number }[] {
  const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: repoRoot, encoding: 'utf8' }).split('\0');
  return tracked
    .filter((file) => SOURCE.test(file) && existsSync(path.join(repoRoot, file)))
    .map((file) => ({ file, lines: lineCount(readFileSync(path.join(repoRoot, file), 'utf8')) }))
    .filter((f) => f.lines > max)
    .sort((a, b) => b.lines - a.lines);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const over = oversizedFiles(repoRoot);
  for (const f of over) console.error(`size: ${f.file} has ${f.lines} lines (at most ${MAX_LINES}: split it by job)`);
  if (over.length) process.exit(1);
  console.log(`sizes: no source file over ${MAX_LINES} lines`);
}
