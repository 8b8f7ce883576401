// The embedded stack never leaves orphans: children die with the parent on SIGTERM, SIGINT, an
// uncaught exception and even SIGKILL; and the npm start / send / job commands work together.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sleep } from '../../infra/local/engine/aws';
import { REPO_ROOT } from '../../infra/local/engine/lambda';
import { freePort } from '../../infra/local/engine/ports';
import { pidAlive, type ChildInfo } from '../../infra/local/engine/processes';

const TSX = path.join(REPO_ROOT, 'node_modules/.bin/tsx');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'memberflow-proc-test-'));
const spawned: ChildProcess[] = [];
afterAll(() => {
  for (const c of spawned) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function run(command: string, args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(command, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  spawned.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, out: () => out, err: () => err, exited };
}

async function waitForOutput(r: Run, pattern: RegExp, timeoutMs = 150_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = r.out().match(pattern);
    if (m) return m;
    if (r.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`no ${pattern} in output (exit ${r.child.exitCode}):\n${r.out()}\n${r.err()}`);
    }
    await sleep(50);
  }
}

async function expectAllGone(pids: number[], timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(pidAlive) && Date.now() < deadline) await sleep(100);
  expect(pids.filter(pidAlive)).toEqual([]);
}

async function servicesChild(mode: 'wait' | 'throw'): Promise<{ r: Run; pids: number[] }> {
  const r = run(process.execPath, ['--import', 'tsx', 'test/fixtures/local-runtime/services-child.ts', mode]);
  const [, json] = await waitForOutput(r, /SERVICES (.*)\n/);
  const children = JSON.parse(json) as ChildInfo[];
  const pids = children.flatMap((c) => [c.pid, c.pgid]);
  expect(children.map((c) => c.name).sort()).toEqual(['dynamodb', 'kinesis']);
  expect(pids.every(pidAlive)).toBe(true);
  return { r, pids };
}

// Starting Java and kinesis-mock takes ~25 s on a quiet two-core machine and over 60 s under load.
describe('no orphaned services', { timeout: 180_000 }, () => {
  it('stops the children on SIGINT (Ctrl-C)', async () => {
    const { r, pids } = await servicesChild('wait');
    r.child.kill('SIGINT');
    expect((await r.exited).code).toBe(130);
    await expectAllGone(pids);
  });

  it('stops the children when the parent crashes with an uncaught exception', async () => {
    const { r, pids } = await servicesChild('throw');
    expect((await r.exited).code).toBe(1);
    expect(r.err()).toContain('simulated crash');
    await expectAllGone(pids);
  });

  it('stops the children even when the parent is SIGKILLed', async () => {
    const { r, pids } = await servicesChild('wait');
    r.child.kill('SIGKILL');
    await r.exited;
    await expectAllGone(pids);
  });
});

describe('npm start, send and job', () => {
  it('starts, accepts events and jobs, and leaves nothing behind on SIGTERM', async () => {
    const port = await freePort();
    const stateDir = path.join(tmp, 'state');
    const env = {
      MEMBERFLOW_API_PORT: String(port),
      MEMBERFLOW_STATE_DIR: stateDir,
      MEMBERFLOW_API_TOKEN: '',
      MEMBERFLOW_VIEWER_TOKEN: '',
    };
    const t0 = Date.now();
    const start = run(TSX, ['infra/local/cli/start.ts'], env);
    const [, apiUrl, token] = await waitForOutput(start, /memberflow ready — API (http:\/\/127\.0\.0\.1:\d+) token (\S+)/, 150_000);
    if (process.env.MEMBERFLOW_TEST_VERBOSE) console.log(`npm start ready in ${Date.now() - t0} ms`);
    expect(apiUrl).toBe(`http://127.0.0.1:${port}`);

    const state = JSON.parse(readFileSync(path.join(stateDir, 'stack.json'), 'utf8'));
    expect(state).toMatchObject({ apiUrl, token, names: { streams: { EventsStream: 'EventsStream' } } });
    const pids: number[] = state.processes.flatMap((c: ChildInfo) => [c.pid, c.pgid]);
    expect(pids.length).toBe(4);
    expect(pids.every(pidAlive)).toBe(true);

    expect(await (await fetch(`${apiUrl}/health`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${apiUrl}/members/m1`)).status).toBe(403);
    // Both tokens generated and printed; the viewer's reaches aggregates only.
    const [, viewerToken] = await waitForOutput(start, /memberflow viewer token (\S+)/);
    expect(viewerToken).not.toBe(token);
    expect((await fetch(`${apiUrl}/members/m1`, { headers: { authorization: `Bearer ${viewerToken}` } })).status).toBe(403);
    expect((await fetch(`${apiUrl}/segments`, { headers: { authorization: `Bearer ${viewerToken}` } })).status).toBe(200);

    const file = path.join(tmp, 'events.jsonl');
    writeFileSync(
      file,
      [
        '{"eventId":"p1","type":"signup","memberId":"proc-1","occurredAt":"2026-01-05T10:00:00+08:00"}',
        '',
        '{"eventId":"p2","type":"app_open","memberId":"proc-1","occurredAt":"2026-01-05T11:00:00+08:00"}',
        'not json at all',
        '',
      ].join('\n'),
    );
    const send = run(TSX, ['infra/local/cli/send.ts', file, '--wait'], env);
    expect((await send.exited).code).toBe(0);
    expect(send.out()).toContain('sent 3 records');

    const job = run(TSX, ['infra/local/cli/job.ts', 'tier-review', '--as-of', '2026-01-06'], env);
    const jobExit = await job.exited;
    expect(job.err()).toBe('');
    expect(jobExit.code).toBe(0);
    expect(job.out()).toContain('job tier-review done (as of 2026-01-06)');
    const unknownJob = run(TSX, ['infra/local/cli/job.ts', 'nope'], env);
    expect((await unknownJob.exited).code).toBe(1);
    expect(unknownJob.err()).toContain('unknown job "nope"');

    start.child.kill('SIGTERM');
    await start.exited;
    await expectAllGone(pids);
    expect(existsSync(path.join(stateDir, 'stack.json'))).toBe(false);

    const after = run(TSX, ['infra/local/cli/send.ts', file], env);
    expect((await after.exited).code).toBe(1);
    expect(after.err()).toContain('the local stack is not running');
  }, 300_000); // Java, CDK and four tsx processes on a shared two-core machine

  it('fails fast with a clear message when the API port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const start = run(TSX, ['infra/local/cli/start.ts'], {
        MEMBERFLOW_API_PORT: String(port),
        MEMBERFLOW_STATE_DIR: path.join(tmp, 'busy'),
      });
      expect((await start.exited).code).toBe(1);
      expect(start.err()).toContain(`port ${port} is in use; set MEMBERFLOW_API_PORT`);
    } finally {
      blocker.close();
    }
  });
});
