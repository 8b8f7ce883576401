// A command-line script spawned by a test (`npm run import`, `npm run audit`, …) finds the test's
// stack through a state file in a temp dir, named by MEMBERFLOW_STATE_DIR in the child's env.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LocalStack } from '../../infra/local/engine/stack';
import { writeState } from '../../infra/local/engine/state';

/** Writes the stack's state file into `dir` (a fresh temp dir unless given); returns the dir. */
export function stateDirFor(stack: LocalStack, dir = mkdtempSync(path.join(tmpdir(), 'mf-state-'))): string {
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
