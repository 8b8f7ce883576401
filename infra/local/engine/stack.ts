// The embedded local stack: local services + the template's resources + stream consumers +
// daily scheduler + HTTP API, all in this process (handlers share one process.env).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { dynamoClient, kinesisClient, s3Client, type LocalEndpoints } from './aws';
import { s3FailureDestination } from './failure-destination';
import { generateToken, startApiServer, type ApiServer } from './http-server';
import { putLines } from './kinesis-producer';
import { invokeFunction, type LocalFunction } from './lambda';
import { startLambdaEndpoint, type LambdaEndpoint } from './lambda-endpoint';
import type { MappingConfig, PollerOptions } from './mapping-config';
import { EventSourceMapping, Poller } from './poller';
import { PORT_ENV, claimPort } from './ports';
import { startLocalProcesses, type ChildInfo, type LocalProcesses, type ProcessPorts } from './processes';
import { createResources, functionEnvironment, type LocalNames } from './resources';
import { createScheduler, type Scheduler } from './scheduler';
import { kinesisSource } from './stream-sources';
import { parseTemplate, type CfnTemplate, type TemplateModel } from './template';

export interface AttachOptions {
  /** Physical names are `<prefix><LogicalId>`; default ''. */
  prefix?: string;
  /** Default: `synthTemplate()` of infra/synth.ts with the programme below. */
  template?: CfnTemplate;
  /** Programme file; default MEMBERFLOW_PROGRAM or the stack's default. Sets MEMBERFLOW_PROGRAM. */
  programPath?: string;
  withApi?: boolean;
  withPollers?: boolean;
  withScheduler?: boolean;
  /** API port; 0 = a free port. Default MEMBERFLOW_API_PORT or 3000. */
  apiPort?: number;
  /** The operator's API bearer token; default MEMBERFLOW_API_TOKEN or a generated one. */
  token?: string;
  /** The viewer's API bearer token; default MEMBERFLOW_VIEWER_TOKEN or a generated one. */
  viewerToken?: string;
  /** Applied to every event source mapping (e.g. `{ maximumBatchingWindowInSeconds: 0 }` in tests). */
  mappingOverrides?: Partial<Omit<MappingConfig, 'name' | 'functionName'>>;
  pollerOptions?: PollerOptions;
  /** Delays before the two retries of a failed asynchronous invocation (default [1000, 2000] ms). */
  asyncRetryDelaysMs?: number[];
  log?: (msg: string) => void;
}

export interface LocalStackOptions extends AttachOptions {
  /** Service ports; 0 or absent = a free port. */
  ports?: ProcessPorts & { api?: number };
  /** Stop the children on SIGINT/SIGTERM/uncaught errors and exit (npm start). */
  handleSignals?: boolean;
}

export interface LocalStack {
  /** Environment handed to the handlers (also applied to process.env). */
  env: Record<string, string>;
  names: LocalNames;
  endpoints: LocalEndpoints;
  prefix: string;
  model: TemplateModel;
  apiUrl?: string;
  /** The operator token (every route). */
  token?: string;
  /** The viewer token (health, metrics, the segment list). */
  viewerToken?: string;
  /** Which tokens were generated here (printed at start) rather than supplied. */
  generatedTokens?: { operator: boolean; viewer: boolean };
  /** Child processes (empty when attached to shared ones). */
  processes: ChildInfo[];
  poller?: Poller;
  scheduler: Scheduler;
  /** The local Lambda Invoke endpoint (AWS_ENDPOINT_URL_LAMBDA of the handlers). */
  lambdaUrl: string;
  /**
   * Resolves when every consumer has processed everything written so far (see Poller.drain) and
   * every asynchronous Lambda invocation (e.g. a segment export) has finished.
   */
  drain(opts?: { timeoutMs?: number }): Promise<void>;
  /** Runs a daily job now: `tier-review`, `winback`, `rfm`, `coins`; `asOf` = programme day. */
  runJob(name: string, asOf?: string): Promise<unknown>;
  /** Sends lines unchanged to the events stream (partition key = memberId). */
  putRecords(lines: string[], onProgress?: (sent: number) => void): Promise<number>;
  /** Invokes a function by logical id or entry path with any event. */
  invoke(functionIdOrEntry: string, event: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

const API_ENTRY = 'functions/api.ts';

/** Starts DynamoDB Local, kinesis-mock and s3rver, then everything `attachLocalStack` does. */
export async function startLocalStack(opts: LocalStackOptions = {}): Promise<LocalStack> {
  const log = opts.log ?? (() => undefined);
  const t0 = Date.now();
  // Claim the API port first so a taken port fails before Java starts.
  const apiPort = opts.withApi === false ? 0 : await claimPort(opts.ports?.api ?? opts.apiPort ?? defaultApiPort(), PORT_ENV.api);
  // Synthesise (~1-2 s of CDK) while Java starts.
  const template = opts.template ? Promise.resolve(opts.template) : loadTemplate(opts.programPath ?? process.env.MEMBERFLOW_PROGRAM);
  template.catch(() => undefined);
  const procs: LocalProcesses = await startLocalProcesses({ ports: opts.ports, log, handleSignals: opts.handleSignals });
  try {
    const stack = await attachLocalStack({ ...opts, apiPort, template: await template }, procs.endpoints);
    log(`local stack ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const stopAttached = stack.stop;
    let stopping: Promise<void> | undefined;
    return {
      ...stack,
      processes: procs.children,
      stop: () => (stopping ??= stopAttached().finally(() => procs.stop())),
    };
  } catch (err) {
    await procs.stop();
    throw err;
  }
}

function defaultApiPort(): number {
  const fromEnv = process.env[PORT_ENV.api];
  return fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : 3000;
}

async function loadTemplate(programPath: string | undefined): Promise<CfnTemplate> {
  const { synthTemplate } = await import('../../synth');
  if (!programPath) return synthTemplate() as CfnTemplate;
  const raw = JSON.parse(readFileSync(programPath, 'utf8'));
  return synthTemplate({
    programJson: JSON.stringify(raw),
    timezone: typeof raw.timezone === 'string' ? raw.timezone : undefined,
  }) as CfnTemplate;
}

/**
 * Uses already-running services (e.g. the ones test/global-setup.ts started): creates this
 * stack's prefixed tables, streams and buckets and runs its consumers, scheduler and API.
 * stop() stops those but leaves the services running.
 */
export async function attachLocalStack(opts: AttachOptions, endpoints: LocalEndpoints): Promise<LocalStack>;
export async function attachLocalStack(opts: AttachOptions & { endpoints: LocalEndpoints }): Promise<LocalStack>;
export async function attachLocalStack(
  opts: AttachOptions & { endpoints?: LocalEndpoints },
  endpointsArg?: LocalEndpoints,
): Promise<LocalStack> {
  const endpoints = endpointsArg ?? opts.endpoints;
  if (!endpoints) throw new Error('attachLocalStack needs the service endpoints');
  const prefix = opts.prefix ?? '';
  // One stack at a time per process: the handlers find their tables, streams and buckets in
  // process.env, so while two were attached both would use the second one's.
  if (attached)
    throw new Error(
      `attachLocalStack(prefix ${JSON.stringify(prefix)}): the stack with prefix ${JSON.stringify(attached.prefix)} is still attached ` +
        'in this process; stop() it first (the handlers read their table and stream names from process.env, one set per process)',
    );
  const claim = { prefix };
  attached = claim;
  const release = () => {
    if (attached === claim) attached = undefined;
  };
  try {
    const stack = await attachUnguarded(opts, endpoints, prefix);
    const stop = stack.stop;
    stack.stop = () => stop().finally(release);
    return stack;
  } catch (err) {
    release();
    throw err;
  }
}

/** The stack attached in this process (see attachLocalStack). */
let attached: { prefix: string } | undefined;

async function attachUnguarded(opts: AttachOptions, endpoints: LocalEndpoints, prefix: string): Promise<LocalStack> {
  const log = opts.log ?? (() => undefined);
  const programPath = opts.programPath ?? process.env.MEMBERFLOW_PROGRAM;
  const template = opts.template ?? (await loadTemplate(programPath));
  const model = parseTemplate(template);
  const names = await createResources(model, endpoints, prefix);

  // One process, one environment: the union of every function's variables.
  const env: Record<string, string> = {};
  for (const fn of model.functions) {
    const fnEnv = functionEnvironment(fn.environment, names, endpoints, (m) => log(`${fn.logicalId}: ${m}`));
    delete fnEnv.NODE_OPTIONS; // a Lambda runtime flag; here it would leak into child processes
    for (const [k, v] of Object.entries(fnEnv)) {
      if (k in env && env[k] !== v) log(`environment: ${k} differs between functions; using ${fn.logicalId}'s`);
      env[k] = v;
    }
  }
  Object.assign(env, functionEnvironment({}, names, endpoints));
  // The handlers' log level (the template's INFO logs every batch; the demo prefers quiet).
  if (process.env.MEMBERFLOW_LOG_LEVEL) env.POWERTOOLS_LOG_LEVEL = process.env.MEMBERFLOW_LOG_LEVEL;
  if (names.streams.EventsStream) env.MEMBERFLOW_EVENTS_STREAM = names.streams.EventsStream;
  if (programPath) env.MEMBERFLOW_PROGRAM = path.resolve(programPath);

  const functions = new Map<string, LocalFunction>();
  for (const f of model.functions) {
    functions.set(f.logicalId, {
      logicalId: f.logicalId,
      name: names.functions[f.logicalId],
      entry: f.entry,
      timeoutSeconds: f.timeoutSeconds,
      memoryMb: f.memoryMb,
    });
  }
  const findFunction = (idOrEntry: string): LocalFunction => {
    const fn = functions.get(idOrEntry) ?? [...functions.values()].find((f) => f.entry === idOrEntry);
    if (!fn) throw new Error(`no function ${idOrEntry} in the template`);
    return fn;
  };
  const invoke = (idOrEntry: string, event: unknown) => invokeFunction(findFunction(idOrEntry), event, log);

  // The Lambda Invoke API for handlers that invoke functions (the api starting an export).
  const byName = (name: string) => [...functions.values()].find((f) => f.name === name) ?? functions.get(name);
  const lambda: LambdaEndpoint = await startLambdaEndpoint({
    resolve: byName,
    run: (name, event) => invokeFunction(byName(name)!, event, log),
    asyncRetryDelaysMs: opts.asyncRetryDelaysMs,
    log,
  });
  env.AWS_ENDPOINT_URL_LAMBDA = lambda.url;
  const previousEnv = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  const restoreEnv = () => {
    for (const [k, v] of Object.entries(previousEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };

  const ddb = dynamoClient(endpoints);
  const kin: KinesisClient = kinesisClient(endpoints);
  const s3 = s3Client(endpoints);
  const cleanup: Array<() => Promise<void> | void> = [
    // Stop taking invocations, then let the running ones finish before the environment goes.
    async () => {
      await lambda.close();
      await lambda.idle({ timeoutMs: 60_000 }).catch((err: Error) => log(err.message));
    },
  ];
  let poller: Poller | undefined;
  let api: ApiServer | undefined;

  try {
    if (opts.withPollers !== false) {
      poller = new Poller();
      for (const m of model.mappings.filter((x) => x.enabled)) {
        const fn = functions.get(m.functionLogicalId);
        if (!fn) continue;
        const source = kinesisSource(kin, names.streams[m.source.streamLogicalId], names.streamArns[m.source.streamLogicalId]);
        const destination = m.onFailureBucketLogicalId ? s3FailureDestination(s3, names.buckets[m.onFailureBucketLogicalId]) : undefined;
        const config: MappingConfig = {
          name: m.logicalId,
          functionName: fn.name,
          batchSize: m.batchSize,
          maximumBatchingWindowInSeconds: m.maximumBatchingWindowInSeconds,
          bisectBatchOnFunctionError: m.bisectBatchOnFunctionError,
          maximumRetryAttempts: m.maximumRetryAttempts,
          maximumRecordAgeInSeconds: m.maximumRecordAgeInSeconds,
          reportBatchItemFailures: m.reportBatchItemFailures,
          startingPosition: m.startingPosition,
          ...opts.mappingOverrides,
        };
        poller.add(
          new EventSourceMapping(config, source, (event) => invokeFunction(fn, event, log), destination, { log, ...opts.pollerOptions }),
        );
      }
      const p = poller;
      cleanup.push(() => p.stop());
      // "Ready" means every consumer has found its shards.
      await Promise.all(poller.mappings.map((m) => m.ready()));
    }

    const scheduler = createScheduler(
      model.schedules.map((s) => {
        const fn = findFunction(s.functionLogicalId);
        const job = typeof s.input.job === 'string' ? s.input.job : path.basename(fn.entry).replace(/\.[cm]?[jt]s$/, '');
        return {
          name: s.logicalId,
          job,
          expression: s.expression,
          timezone: s.timezone,
          input: s.input,
          enabled: s.enabled,
          invoke: (e) => invokeFunction(fn, e, log),
        };
      }),
      log,
    );
    if (opts.withScheduler !== false) {
      scheduler.start();
      cleanup.push(() => scheduler.stop());
    }

    const drain = async (o?: { timeoutMs?: number }) => {
      // Consumers, then asynchronous invocations, until both are quiet (an invocation may write
      // to a stream, a consumer may invoke a function).
      do {
        if (poller) await poller.drain(o);
        await lambda.idle(o);
      } while (lambda.inFlight > 0);
    };
    let token: string | undefined;
    let viewerToken: string | undefined;
    let generatedTokens: LocalStack['generatedTokens'];
    if (opts.withApi !== false) {
      // The function whose entry is functions/api.ts, else the one with logical id ApiFunction.
      const apiFn = [...functions.values()].find((f) => f.entry === API_ENTRY) ?? functions.get('ApiFunction');
      if (!apiFn) throw new Error(`no function with entry ${API_ENTRY} in the template`);
      const suppliedToken = opts.token || process.env.MEMBERFLOW_API_TOKEN;
      const suppliedViewer = opts.viewerToken || process.env.MEMBERFLOW_VIEWER_TOKEN;
      token = suppliedToken || generateToken();
      viewerToken = suppliedViewer || generateToken();
      if (viewerToken === token)
        throw new Error('the viewer token must differ from the operator token (MEMBERFLOW_VIEWER_TOKEN, MEMBERFLOW_API_TOKEN)');
      generatedTokens = { operator: !suppliedToken, viewer: !suppliedViewer };
      api = await startApiServer({
        port: opts.apiPort ?? defaultApiPort(),
        token,
        viewerToken,
        routes: model.routes,
        invoke: (event) => invokeFunction(apiFn, event, log),
        control: {
          runJob: (name, asOf) => scheduler.runJob(name, asOf),
          drain: () => drain(),
          stats: () => Object.fromEntries((poller?.mappings ?? []).map((m) => [m.config.name, m.stats])),
        },
        log,
      });
      const a = api;
      cleanup.push(() => a.close());
    }

    let stopping: Promise<void> | undefined;
    return {
      env,
      names,
      endpoints,
      prefix,
      model,
      apiUrl: api?.url,
      token,
      viewerToken,
      generatedTokens,
      processes: [],
      poller,
      scheduler,
      lambdaUrl: lambda.url,
      drain,
      runJob: (name, asOf) => scheduler.runJob(name, asOf),
      putRecords: (lines, onProgress) => putLines(lines, { client: kin, streamName: names.streams.EventsStream, onProgress }),
      invoke,
      stop: () =>
        (stopping ??= (async () => {
          for (const c of cleanup.reverse()) await c();
          for (const client of [ddb, kin, s3]) client.destroy();
          restoreEnv();
        })()),
    };
  } catch (err) {
    for (const c of cleanup.reverse()) await c();
    for (const client of [ddb, kin, s3]) client.destroy();
    restoreEnv();
    throw err;
  }
}
