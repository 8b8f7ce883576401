// Serves the operations console from the api function: `GET /` (the page) and
// `GET /console/{app.js,styles.css}` (its bundled assets: console/, built by infra/build-console.ts).
// The page is public (locally the HTTP server lets it through without the token; in AWS it sits
// behind the same IAM authoriser as the API); its data calls carry the caller's credentials.
import { gzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { HttpError } from './http';
import { CONSOLE_CSS, CONSOLE_HTML, CONSOLE_JS, CONSOLE_VERSION } from './console-assets.generated';

/** A route answer that is already a complete HTTP response (not JSON): the api passes it through. */
export class StaticReply {
  constructor(readonly result: APIGatewayProxyStructuredResultV2) {}
}

/** Only this origin: scripts, styles, data calls. No inline script or style, no framing. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

interface Asset {
  type: string;
  body: string;
  etag: string;
  gzipped?: string;
}

const ASSETS: Record<string, Asset> = {
  'app.js': { type: 'text/javascript; charset=utf-8', body: CONSOLE_JS, etag: `"${CONSOLE_VERSION}-js"` },
  'styles.css': { type: 'text/css; charset=utf-8', body: CONSOLE_CSS, etag: `"${CONSOLE_VERSION}-css"` },
};
const PAGE: Asset = { type: 'text/html; charset=utf-8', body: CONSOLE_HTML, etag: `"${CONSOLE_VERSION}-html"` };

function header(event: APIGatewayProxyEventV2, name: string): string {
  return event.headers?.[name] ?? '';
}

function respond(event: APIGatewayProxyEventV2, asset: Asset, cacheControl: string): StaticReply {
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    'content-type': asset.type,
    'cache-control': cacheControl,
    etag: asset.etag,
    vary: 'accept-encoding',
  };
  if (
    header(event, 'if-none-match')
      .split(',')
      .some((t) => t.trim() === asset.etag)
  ) {
    return new StaticReply({ statusCode: 304, headers, body: '' });
  }
  // API Gateway's HTTP API does not compress: the bundle (chart.js included) goes gzipped when it may.
  if (/\bgzip\b/i.test(header(event, 'accept-encoding'))) {
    asset.gzipped ??= gzipSync(asset.body, { level: 9 }).toString('base64');
    return new StaticReply({
      statusCode: 200,
      headers: { ...headers, 'content-encoding': 'gzip' },
      body: asset.gzipped,
      isBase64Encoded: true,
    });
  }
  return new StaticReply({ statusCode: 200, headers, body: asset.body });
}

/** `GET /`: the page; always revalidated, so a new deployment's assets are picked up at once. */
export async function getConsolePage(_ctx: unknown, event: APIGatewayProxyEventV2): Promise<StaticReply> {
  return respond(event, PAGE, 'no-cache');
}

/**
 * `GET /console/{name}`: a bundled asset. The page asks for `?v=<version>` (a hash of the bundle),
 * which may be cached for a year; without it (or with an old version) the asset is revalidated.
 */
export async function getConsoleAsset(_ctx: unknown, event: APIGatewayProxyEventV2, name: string): Promise<StaticReply> {
  const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (!asset) throw new HttpError(404, 'not_found', `/console/${name}: no such console asset`);
  const immutable = event.queryStringParameters?.v === CONSOLE_VERSION;
  return respond(event, asset, immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
}
