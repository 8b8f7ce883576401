// A minimal local Lambda service: the SDK's Invoke call (`POST /2015-03-31/functions/{name}/invocations`)
// on a loopback port, so handlers that invoke other functions (the api starting an export) run
// unchanged with AWS_ENDPOINT_URL_LAMBDA pointing here.
//  - `X-Amz-Invocation-Type: Event`: 202 at once, the function runs in this process in the
//    background; a failed run is retried twice (as Lambda's asynchronous invocation does, with
//    shorter delays), then logged. `idle()` resolves when nothing is queued or running.
//  - `RequestResponse` (the default): runs the function and answers its result (200), with
//    `X-Amz-Function-Error: Unhandled` and the error as the payload when it throws.
//  - `DryRun`: 204.
// Function names may be the physical name, the logical id, or an ARN. Requests are not
// authenticated (loopback only; the SDK signs them with the local dummy credentials).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { LOCAL_ACCOUNT, LOCAL_REGION, sleep } from './aws';

/** Lambda's limits: 256 KB for an asynchronous event, 6 MB for a synchronous one. */
const MAX_ASYNC_PAYLOAD = 256 * 1024;
const MAX_SYNC_PAYLOAD = 6 * 1024 * 1024;
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;

export interface LambdaEndpointOptions {
  /** Finds a function by name, logical id or ARN; undefined when unknown. */
  resolve(functionName: string): { name: string } | undefined;
  /** Runs the function in-process with `event`. */
  run(functionName: string, event: unknown): Promise<unknown>;
  /** Delays before the two retries of a failed asynchronous run; default [1000, 2000] ms (AWS: about 1 and 2 minutes). */
  asyncRetryDelaysMs?: number[];
  host?: string;
  /** 0 (default) = a free port. */
  port?: number;
  log?: (msg: string) => void;
}

export interface LambdaEndpoint {
  url: string;
  /** Resolves when no asynchronous invocation is queued, running or waiting to be retried. */
  idle(opts?: { timeoutMs?: number }): Promise<void>;
  /** Asynchronous invocations in flight. */
  readonly inFlight: number;
  close(): Promise<void>;
}

/** The function name in the path may be `name`, `name:qualifier`, a partial or a full ARN. */
export function functionNameOf(raw: string): string {
  const name = decodeURIComponent(raw);
  const arn = /^(?:arn:[^:]+:lambda:[^:]*:)?(?:\d{12}:)?function:([^:]+)(?::[^:]+)?$/.exec(name);
  if (arn) return arn[1];
  return name.split(':')[0];
}

export async function startLambdaEndpoint(opts: LambdaEndpointOptions): Promise<LambdaEndpoint> {
  const log = opts.log ?? (() => undefined);
  const delays = opts.asyncRetryDelaysMs ?? [1000, 2000];
  const host = opts.host ?? '127.0.0.1';
  const inFlight = new Set<Promise<void>>();
  let closed = false;

  const runAsync = async (name: string, event: unknown, requestId: string): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      try {
        await opts.run(name, event);
        return;
      } catch (err) {
        if (attempt >= delays.length || closed) {
          log(`async invocation ${requestId} of ${name} failed after ${attempt + 1} attempts, dropped: ${(err as Error)?.stack ?? err}`);
          return;
        }
        log(
          `async invocation ${requestId} of ${name} failed (attempt ${attempt + 1}), retrying in ${delays[attempt]} ms: ${(err as Error)?.message ?? err}`,
        );
        await sleep(delays[attempt]);
      }
    }
  };

  const server = http.createServer(async (req, res) => {
    const requestId = randomUUID();
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': requestId, ...headers });
      res.end(text);
    };
    const error = (status: number, type: string, message: string) => send(status, { Type: 'User', message }, { 'x-amzn-errortype': type });
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const match = INVOKE_PATH.exec(url.pathname);
      if (req.method !== 'POST' || !match)
        return error(404, 'UnknownOperationException', `${req.method} ${url.pathname}: only Invoke is implemented locally`);
      const invocationType = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
      if (!['Event', 'RequestResponse', 'DryRun'].includes(invocationType)) {
        return error(
          400,
          'InvalidParameterValueException',
          `X-Amz-Invocation-Type: ${invocationType} is not Event, RequestResponse or DryRun`,
        );
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const limit = invocationType === 'Event' ? MAX_ASYNC_PAYLOAD : MAX_SYNC_PAYLOAD;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size <= limit) chunks.push(chunk as Buffer);
      }
      if (size > limit) return error(413, 'RequestTooLargeException', `request payload of ${size} bytes exceeds ${limit}`);

      const fn = opts.resolve(functionNameOf(match[1]));
      if (!fn) {
        const arn = `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${functionNameOf(match[1])}`;
        return error(404, 'ResourceNotFoundException', `Function not found: ${arn}`);
      }
      const text = Buffer.concat(chunks).toString('utf8');
      let event: unknown = {};
      if (text.trim() !== '') {
        try {
          event = JSON.parse(text);
        } catch {
          return error(400, 'InvalidRequestContentException', 'Could not parse request body into json');
        }
      }
      if (invocationType === 'DryRun') return send(204, undefined);
      if (invocationType === 'Event') {
        if (closed) return error(503, 'ServiceException', 'the local Lambda endpoint is shutting down');
        const p: Promise<void> = runAsync(fn.name, event, requestId).finally(() => inFlight.delete(p));
        inFlight.add(p);
        return send(202, undefined);
      }
      try {
        const result = await opts.run(fn.name, event);
        return send(200, result === undefined ? 'null' : JSON.stringify(result), { 'x-amz-executed-version': '$LATEST' });
      } catch (err) {
        const e = err as Error;
        return send(
          200,
          { errorType: e?.name ?? 'Error', errorMessage: e?.message ?? String(err), trace: String(e?.stack ?? '').split('\n') },
          {
            'x-amz-function-error': 'Unhandled',
            'x-amz-executed-version': '$LATEST',
          },
        );
      }
    } catch (err) {
      log(`lambda endpoint: ${(err as Error)?.stack ?? err}`);
      if (!res.headersSent) error(500, 'ServiceException', 'internal error of the local Lambda endpoint');
      else res.end();
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${host}:${port}`,
    get inFlight() {
      return inFlight.size;
    },
    async idle(o = {}) {
      const deadline = Date.now() + (o.timeoutMs ?? 300_000);
      while (inFlight.size > 0) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${inFlight.size} asynchronous invocation(s)`);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([Promise.allSettled(inFlight), new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
        clearTimeout(timer);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
