// Starting the embedded stack for `npm start` and `npm run demo`.
import { ensureConsoleAssets } from '../../build-console';
import { onShutdown, pidAlive } from '../engine/processes';
import { startLocalStack, type LocalStack } from '../engine/stack';
import { clearState, readState, stateFile, writeState } from '../engine/state';

export const log = (msg: string) => console.log(`[memberflow] ${msg}`);

function portFromEnv(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name}=${v} is not a port number`);
  return n;
}

/** Starts the stack for `npm start` and `npm run demo`: state file, signal handling, clean stop. */
export async function launchStack(): Promise<LocalStack> {
  const running = readState();
  if (running && running.pid !== process.pid && pidAlive(running.pid)) {
    throw new Error(`memberflow is already running (pid ${running.pid}, API ${running.apiUrl}); stop it first or set MEMBERFLOW_STATE_DIR`);
  }
  // The api function serves the console's bundle, which is build output: built from console/ now.
  if ((await ensureConsoleAssets()) === 'written') log('console bundle built');
  const stack = await startLocalStack({
    ports: {
      api: portFromEnv('MEMBERFLOW_API_PORT') ?? 3000,
      dynamodb: portFromEnv('MEMBERFLOW_DYNAMODB_PORT'),
      kinesis: portFromEnv('MEMBERFLOW_KINESIS_PORT'),
      s3: portFromEnv('MEMBERFLOW_S3_PORT'),
    },
    prefix: process.env.MEMBERFLOW_PREFIX ?? '',
    handleSignals: true,
    log,
  });
  writeState({
    pid: process.pid,
    startedAt: new Date().toISOString(),
    prefix: stack.prefix,
    endpoints: stack.endpoints,
    names: stack.names,
    apiUrl: stack.apiUrl,
    token: stack.token,
    processes: stack.processes,
  });
  onShutdown(async () => {
    log('stopping');
    clearState();
    await stack.stop();
  }, log);
  for (const j of stack.scheduler.next()) log(`job ${j.job} next runs at ${j.at?.toISOString() ?? 'never'}`);
  log(`state in ${stateFile()}; send events with: npm run send -- FILE`);
  return stack;
}

export function fail(err: unknown): never {
  console.error(`memberflow: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
}

/** The operator token as the user may repeat it: itself when generated here, else its variable. */
export function operatorTokenHint(stack: LocalStack): string {
  return stack.generatedTokens?.operator ? stack.token! : '$MEMBERFLOW_API_TOKEN';
}

/** The ready banner: the API and the tokens generated here (a token the user supplied is not echoed). */
export function readyMessage(stack: LocalStack): string {
  const operator = stack.generatedTokens?.operator ? ` token ${stack.token}` : ' (operator token: MEMBERFLOW_API_TOKEN)';
  const viewer = stack.generatedTokens?.viewer ? `viewer token ${stack.viewerToken}` : 'viewer token: MEMBERFLOW_VIEWER_TOKEN';
  return `memberflow ready — API ${stack.apiUrl}${operator}\nmemberflow ${viewer} (health, metrics and the segment list only)`;
}
