// `.memberflow/stack.json`: how `npm run send` / `npm run job` find the running `npm start`.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LocalEndpoints } from './aws';
import { REPO_ROOT } from './lambda';
import type { ChildInfo } from './processes';
import { pidAlive } from './processes';
import type { LocalNames } from './resources';

export interface StackState {
  pid: number;
  startedAt: string;
  prefix: string;
  endpoints: LocalEndpoints;
  names: LocalNames;
  apiUrl?: string;
  token?: string;
  processes: ChildInfo[];
}

/** MEMBERFLOW_STATE_DIR (tests use a temp dir) or `<repo>/.memberflow`. */
export function stateFile(): string {
  return path.join(process.env.MEMBERFLOW_STATE_DIR || path.join(REPO_ROOT, '.memberflow'), 'stack.json');
}

export function writeState(state: StackState, file = stateFile()): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 }); // holds the API token
}

export function readState(file = stateFile()): StackState | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as StackState;
  } catch {
    return undefined;
  }
}

/** The state of a live `npm start`, or a clear error telling the user to start it. */
export function readRunningState(file = stateFile()): StackState {
  const state = readState(file);
  if (!state || !pidAlive(state.pid)) {
    throw new Error(
      `the local stack is not running (${state ? 'stale' : 'no'} ${path.relative(process.cwd(), file) || file}); start it with \`npm start\``,
    );
  }
  return state;
}

/** Removes the state file if it still belongs to `pid`. */
export function clearState(pid = process.pid, file = stateFile()): void {
  if (readState(file)?.pid === pid) rmSync(file, { force: true });
}
