// Runs `npm run import` (the CLI, in a child process) against a test stack: the stack's state file
// is written to a temp dir the child finds through MEMBERFLOW_STATE_DIR.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LocalStack } from '../../infra/local/engine/stack';
import { writeState } from '../../infra/local/engine/state';

const ROOT = path.resolve(import.meta.dirname, '../..');

export function stateDirFor(stack: LocalStack): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mf-import-'));
  writeState(
    {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      prefix: stack.prefix,
      endpoints: stack.endpoints,
      names: stack.names,
      processes: [],
    },
    path.join(dir, 'stack.json'),
  );
  return dir;
}

export function startImport(
  stateDir: string,
  args: string[],
  nodeOptions = '',
): { child: ChildProcess; done: Promise<{ code: number | null; out: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'infra/local/cli/import.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, MEMBERFLOW_STATE_DIR: stateDir, NODE_OPTIONS: nodeOptions },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const done = new Promise<{ code: number | null; out: string }>((resolve) => child.on('exit', (code) => resolve({ code, out })));
  return { child, done };
}

/** The saved checkpoint of the (only) import in `stateDir`, if any. */
export function appliedSoFar(stateDir: string): number {
  try {
    const dir = path.join(stateDir, 'import');
    const [id] = readdirSync(dir);
    return JSON.parse(readFileSync(path.join(dir, id, 'checkpoint.json'), 'utf8')).checkpoint.applied;
  } catch {
    return 0;
  }
}
