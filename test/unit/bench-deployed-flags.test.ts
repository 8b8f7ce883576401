// The benchmarks time the handler under the V8 flags the stack gives the batch-code functions
// (infra/runtime-flags.ts): a bench process started without them starts itself again with them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BATCH_CODE_V8_FLAGS } from '../../infra/runtime-flags';

const repoRoot = path.resolve(__dirname, '../..');

describe('the bench runs under the deployed V8 flags', () => {
  it('starts itself again with the flags it was started without, and keeps its arguments and exit code', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'memberflow-flags-'));
    const script = path.join(dir, 'probe.ts');
    writeFileSync(
      script,
      `import ${JSON.stringify(path.join(repoRoot, 'bench/deployed-flags.ts'))};\n` +
        `console.log(JSON.stringify({ execArgv: process.execArgv.filter((a) => a.startsWith('--max')), args: process.argv.slice(2) }));\n` +
        `process.exitCode = 3;\n`,
    );
    const tsx = path.join(repoRoot, 'node_modules/.bin/tsx');
    const run = spawnSync(tsx, [script, '--members', '3'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    expect(run.status).toBe(3);
    const lines = run.stdout.trim().split('\n');
    // One line: the first process printed nothing of its own.
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toEqual({ execArgv: [...BATCH_CODE_V8_FLAGS], args: ['--members', '3'] });
  });
});
