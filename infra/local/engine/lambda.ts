// Runs a handler file in-process the way Lambda would call it: `handler(event, context)`.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './aws';

export type Handler = (event: unknown, context: Context) => unknown;

export interface LocalFunction {
  logicalId: string;
  /** Physical name, `<prefix><LogicalId>`. */
  name: string;
  /** Repo-relative (or absolute) path of the handler file. */
  entry: string;
  timeoutSeconds: number;
  memoryMb: number;
}

/** Repository root: two levels above infra/local. */
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, '');

const loaded = new Map<string, Promise<Handler>>();

/** Imports the handler module once (tsx / vitest compile the TypeScript on the fly). */
export function loadHandler(entry: string, exportName = 'handler'): Promise<Handler> {
  const file = path.isAbsolute(entry) ? entry : path.join(REPO_ROOT, entry);
  const key = `${file}#${exportName}`;
  let p = loaded.get(key);
  if (!p) {
    p = import(pathToFileURL(file).href).then((mod) => {
      const fn = mod[exportName] ?? mod.default?.[exportName];
      if (typeof fn !== 'function') throw new Error(`${entry} does not export a function "${exportName}"`);
      return fn as Handler;
    });
    p.catch(() => loaded.delete(key)); // a fixed file can be retried
    loaded.set(key, p);
  }
  return p;
}

export function lambdaContext(fn: LocalFunction, requestId = randomUUID()): Context {
  const deadline = Date.now() + fn.timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${fn.name}`,
    memoryLimitInMB: String(fn.memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${fn.name}`,
    logStreamName: `local/${requestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Invokes the function. The timeout is not enforced (a local "timed-out" handler would keep
 * running and race its own retry); exceeding it is logged instead.
 */
export async function invokeFunction(fn: LocalFunction, event: unknown, log: (msg: string) => void = () => undefined): Promise<unknown> {
  const handler = await loadHandler(fn.entry);
  const started = Date.now();
  try {
    return await handler(event, lambdaContext(fn));
  } finally {
    const took = Date.now() - started;
    if (took > fn.timeoutSeconds * 1000) log(`${fn.logicalId} ran ${took} ms, over its ${fn.timeoutSeconds} s Lambda timeout`);
  }
}
