// The local stand-in for API Gateway (HTTP API, payload format 2.0): a loopback node:http server
// that authenticates with bearer tokens (instead of SigV4) and enforces the route table's roles
// (instead of the IAM policies), builds APIGatewayProxyEventV2 events for the api function, and
// writes its result back. Also an operator-only control endpoint (/_local/...) used by `npm run job`.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2WithIAMAuthorizer } from 'aws-lambda';
import { ROUTES, allows, routeKey, type Role, type Route } from '../../../functions/api/route-table';
import { LOCAL_ACCOUNT } from './aws';

/** The caller names (IAM user names in the event's authorizer block) of the two tokens. */
export const TOKEN_NAME = 'local-operator';
export const VIEWER_TOKEN_NAME = 'local-viewer';
const MAX_BODY = 10 * 1024 * 1024; // HTTP API payload limit

export interface ApiControl {
  runJob(name: string, asOf?: string): Promise<unknown>;
  drain?(): Promise<void>;
  /** Per event source mapping: records delivered to its function so far (end-to-end progress). */
  stats?(): Record<string, unknown>;
}

export interface ApiServerOptions {
  /** 0 = a free port. */
  port: number;
  host?: string;
  /** The operator token (every route). */
  token: string;
  tokenName?: string;
  /** The viewer token (the route table's viewer routes); none = no viewer can sign in. */
  viewerToken?: string;
  /** Route keys ("GET /members/{memberId}", "ANY /{proxy+}"); default the route table's. */
  routes?: string[];
  invoke: (event: APIGatewayProxyEventV2WithIAMAuthorizer) => Promise<unknown>;
  control?: ApiControl;
  log?: (msg: string) => void;
}

export interface ApiServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export function generateToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Constant-time comparison of the presented token with the expected one. */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (!presented) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

interface CompiledRoute {
  routeKey: string;
  method: string;
  segments: string[];
}

function compile(routes: string[]): CompiledRoute[] {
  const compiled = routes
    .filter((k) => k !== '$default')
    .map((routeKey) => {
      const [method, p] = routeKey.split(' ');
      return { routeKey, method: method.toUpperCase(), segments: p.split('/').filter(Boolean) };
    });
  // API Gateway prefers the most specific match: more literal segments, no greedy, exact method.
  const score = (r: CompiledRoute) =>
    r.segments.filter((s) => !s.startsWith('{')).length * 4 +
    (r.segments.some((s) => s.endsWith('+}')) ? 0 : 2) +
    (r.method === 'ANY' ? 0 : 1);
  return compiled.sort((a, b) => score(b) - score(a) || b.segments.length - a.segments.length);
}

export function matchRoute(
  routes: CompiledRoute[],
  method: string,
  rawPath: string,
): { routeKey: string; pathParameters?: Record<string, string> } {
  const parts = rawPath.split('/').filter(Boolean);
  for (const r of routes) {
    if (r.method !== 'ANY' && r.method !== method) continue;
    const params: Record<string, string> = {};
    let ok = true;
    let greedy = false;
    for (let i = 0; i < r.segments.length; i++) {
      const seg = r.segments[i];
      if (seg.endsWith('+}')) {
        ok = i < parts.length;
        if (ok) params[seg.slice(1, -2)] = safeDecode(parts.slice(i).join('/'));
        greedy = true;
        break;
      }
      if (i >= parts.length || (!seg.startsWith('{') && seg !== parts[i])) {
        ok = false;
        break;
      }
      if (seg.startsWith('{')) params[seg.slice(1, -1)] = safeDecode(parts[i]);
    }
    if (ok && (greedy || r.segments.length === parts.length)) {
      return { routeKey: r.routeKey, pathParameters: Object.keys(params).length ? params : undefined };
    }
  }
  return { routeKey: '$default' };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded|[\w.+-]+\+(json|xml)))/i;

export function buildEvent(
  req: http.IncomingMessage,
  body: Buffer,
  match: { routeKey: string; pathParameters?: Record<string, string> },
  /** The authenticated caller; undefined for an anonymous request to an open route. */
  tokenName: string | undefined,
): APIGatewayProxyEventV2WithIAMAuthorizer {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const rawQueryString = (req.url ?? '').includes('?') ? (req.url ?? '').slice((req.url ?? '').indexOf('?') + 1) : '';
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i].toLowerCase();
    const value = req.rawHeaders[i + 1];
    if (name === 'cookie')
      cookies.push(
        ...value
          .split(';')
          .map((c) => c.trim())
          .filter(Boolean),
      );
    else headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  const now = new Date();
  const method = (req.method ?? 'GET').toUpperCase();
  const isText = !body.length || TEXT_TYPES.test(headers['content-type'] ?? '');
  // The form API Gateway gives an IAM user (the token's name stands for the user).
  const userArn = `arn:aws:iam::${LOCAL_ACCOUNT}:user/${tokenName}`;
  return {
    version: '2.0',
    routeKey: match.routeKey,
    rawPath: url.pathname,
    rawQueryString,
    cookies: cookies.length ? cookies : undefined,
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    pathParameters: match.pathParameters,
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0],
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: match.routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
      // Anonymous requests (open routes without a token) carry no authorizer block.
      ...(tokenName === undefined
        ? {}
        : {
            authorizer: {
              iam: {
                accessKey: 'LOCAL',
                accountId: LOCAL_ACCOUNT,
                callerId: tokenName,
                cognitoIdentity: null,
                principalOrgId: '',
                userArn,
                userId: tokenName,
              },
            },
          }),
    } as APIGatewayProxyEventV2WithIAMAuthorizer['requestContext'],
    body: body.length ? (isText ? body.toString('utf8') : body.toString('base64')) : undefined,
    isBase64Encoded: body.length > 0 && !isText,
    stageVariables: undefined,
  };
}

/** Writes a payload-2.0 Lambda result the way API Gateway does (bare values become JSON 200s). */
export function writeResult(res: http.ServerResponse, result: unknown): void {
  const structured = result && typeof result === 'object' && 'statusCode' in (result as object);
  if (!structured) {
    const body = result === undefined ? '' : typeof result === 'string' ? result : JSON.stringify(result);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
    return;
  }
  const r = result as {
    statusCode: number;
    headers?: Record<string, unknown>;
    body?: string;
    isBase64Encoded?: boolean;
    cookies?: string[];
  };
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = String(v);
  if (r.cookies?.length) headers['set-cookie'] = r.cookies;
  headers['content-type'] ??= 'application/json';
  res.writeHead(r.statusCode, headers);
  res.end(r.body === undefined ? '' : r.isBase64Encoded ? Buffer.from(r.body, 'base64') : r.body);
}

function sendError(res: http.ServerResponse, status: number, code: string, message: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...extra });
  res.end(JSON.stringify({ error: { code, message } }));
}

function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        resolve(undefined);
        req.resume();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const routes = compile(opts.routes?.length ? opts.routes : ROUTES.map(routeKey));
  const tokenName = opts.tokenName ?? TOKEN_NAME;
  const table = new Map<string, Route>(ROUTES.map((r) => [routeKey(r), r]));
  const log = opts.log ?? (() => undefined);
  const host = opts.host ?? '127.0.0.1';

  const server = http.createServer(async (req, res) => {
    try {
      const method = (req.method ?? 'GET').toUpperCase();
      const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
      const control = pathname.startsWith('/_local/');
      const match = matchRoute(routes, method, pathname);
      const route = table.get(match.routeKey);
      // No route: API Gateway answers 404 itself (before any authorisation) and never invokes the
      // function; the routes are the template's, i.e. the route table (functions/api/route-table.ts).
      if (!control && match.routeKey === '$default') return sendError(res, 404, 'route_not_found', `no route ${method} ${pathname}`);
      // GET /health and the console's page and assets (served by the api function as in AWS) are
      // open locally; everything else needs a bearer token.
      const open = !control && route?.open === true;
      const auth = req.headers.authorization ?? '';
      const presented = /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1];
      const caller: { name: string; role: Role } | undefined = tokenMatches(presented, opts.token)
        ? { name: tokenName, role: 'operator' }
        : opts.viewerToken && tokenMatches(presented, opts.viewerToken)
          ? { name: VIEWER_TOKEN_NAME, role: 'viewer' }
          : undefined;
      if (!open && !caller) {
        // 403, as API Gateway answers a request without a valid SigV4 signature on an IAM route.
        const message = auth ? 'invalid bearer token' : 'missing Authorization: Bearer <token> header';
        return sendError(res, 403, 'unauthorized', message);
      }
      // The role check the IAM policies make in AWS. A route the table does not know (a test
      // template's) and the control endpoints are the operator's.
      const required: Role = control ? 'operator' : route ? route.role : 'operator';
      if (caller && required && !allows(caller.role, { role: required })) {
        return sendError(res, 403, 'forbidden', `${method} ${pathname}: the ${caller.role} role may not call this route`);
      }
      const body = await readBody(req);
      if (!body) return sendError(res, 413, 'payload_too_large', 'request body exceeds 10 MB');

      if (control) return await controlEndpoint(method, pathname, new URL(req.url ?? '/', 'http://localhost'), res);

      const event = buildEvent(req, body, match, caller?.name);
      let result: unknown;
      try {
        result = await opts.invoke(event);
      } catch (err) {
        log(`api handler failed on ${method} ${pathname}: ${(err as Error)?.stack ?? err}`);
        return sendError(res, 500, 'internal', 'Internal Server Error');
      }
      writeResult(res, result);
    } catch (err) {
      log(`http server: ${(err as Error)?.stack ?? err}`);
      if (!res.headersSent) sendError(res, 500, 'internal', 'Internal Server Error');
      else res.end();
    }
  });

  async function controlEndpoint(method: string, pathname: string, url: URL, res: http.ServerResponse): Promise<void> {
    const job = /^\/_local\/jobs\/([\w.-]+)$/.exec(pathname);
    if (job && method === 'POST' && opts.control) {
      const asOf = url.searchParams.get('asOf') ?? undefined;
      try {
        const result = await opts.control.runJob(job[1], asOf);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ job: job[1], asOf: asOf ?? null, result: result ?? null }));
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'unknown_job') return sendError(res, 404, 'unknown_job', (err as Error).message);
        if (code === 'bad_request') return sendError(res, 400, 'bad_request', (err as Error).message);
        log(`job ${job[1]} failed: ${(err as Error)?.stack ?? err}`);
        return sendError(res, 500, 'job_failed', (err as Error).message);
      }
      return;
    }
    if (pathname === '/_local/drain' && method === 'POST' && opts.control?.drain) {
      await opts.control.drain();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"drained":true}');
      return;
    }
    if (pathname === '/_local/stats' && method === 'GET' && opts.control?.stats) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(opts.control.stats()));
      return;
    }
    sendError(res, 404, 'not_found', `no control endpoint ${method} ${pathname}`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${opts.port} is in use; set MEMBERFLOW_API_PORT`) : err),
    );
    server.listen(opts.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
