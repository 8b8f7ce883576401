// Runs `npm run import` (the CLI, in a child process) against a test stack: the stack's state file
// is written to a temp dir the child finds through MEMBERFLOW_STATE_DIR (test/support/cli-state.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

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
