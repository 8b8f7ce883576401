// `npx tsx bench/import-rate.ts FILE [--batch N] [--count-requests]`: `npm run import` of FILE into
// a fresh local stack of its own (free ports, no scheduler, state in a temp dir; the default
// ports stay free for `npm start`), with the load average before and after, and (with
// --count-requests) the import's DynamoDB requests by operation and call site.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../infra/local/engine/lambda';
import { startLocalStack } from '../infra/local/engine/stack';
import { writeState } from '../infra/local/engine/state';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { batch: { type: 'string', default: '10000' }, 'count-requests': { type: 'boolean', default: false } },
});
if (!positionals.length) throw new Error('usage: npx tsx bench/import-rate.ts FILE... [--batch N] [--count-requests]');
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

const stack = await startLocalStack({ ports: { api: 0 }, prefix: `ir${process.pid}-`, withScheduler: false, handleSignals: true });
const dir = mkdtempSync(path.join(tmpdir(), 'mf-import-rate-'));
try {
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
  console.log(`load average before: ${load()}`);
  const t0 = Date.now();
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(REPO_ROOT, 'infra/local/cli/import.ts'), ...positionals, '--batch', values.batch!, '--quiet'],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, MEMBERFLOW_STATE_DIR: dir, ...(values['count-requests'] ? { MEMBERFLOW_COUNT_REQUESTS: '1' } : {}) },
        stdio: 'inherit',
      },
    );
    child.on('error', reject);
    child.on('exit', resolve);
  });
  console.log(`import exited ${code} after ${((Date.now() - t0) / 1000).toFixed(1)} s; load average after: ${load()}`);
} finally {
  await stack.stop();
  rmSync(dir, { recursive: true, force: true });
}
