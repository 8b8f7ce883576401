// The console's assets module (built by test/support/build-console.ts before the tests, not
// committed) is what a fresh build makes, and the api function serves it with the right types,
// caching and Content-Security-Policy.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { CONSOLE_CSS, CONSOLE_HTML, CONSOLE_JS, CONSOLE_VERSION } from '../../functions/api/console-assets.generated';
import { addDay, daysOf, formatCell, formatCount, formatShare, formatYuan, isDay, tierSampleDays } from '../../console/format';
import { handler } from '../../functions/api';
import { generatedModule, GENERATED } from '../../infra/build-console';

function event(path: string, headers: Record<string, string> = {}, query?: Record<string, string>, method = 'GET'): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: query ? new URLSearchParams(query).toString() : '',
    headers,
    queryStringParameters: query,
    requestContext: {
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'r',
      routeKey: `${method} ${path}`,
    },
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
}

// The api function builds its stores for every route (no AWS call is made for the console's).
for (const name of [
  'MEMBERS_TABLE',
  'LEDGER_TABLE',
  'METRICS_TABLE',
  'QUARANTINE_TABLE',
  'EXPORTS_TABLE',
  'ACTIONS_STREAM',
  'EVENTS_STREAM',
  'EXPORTS_BUCKET',
]) {
  process.env[name] ??= `unused-${name.toLowerCase()}`;
}
process.env.AWS_REGION ??= 'us-east-1';

const call = async (e: APIGatewayProxyEventV2) =>
  (await handler(e)) as APIGatewayProxyStructuredResultV2 & { headers: Record<string, string> };

describe('the generated console assets', () => {
  it('equal a fresh build of console/ (the build is deterministic)', async () => {
    expect(readFileSync(GENERATED, 'utf8') === (await generatedModule())).toBe(true);
  }, 60_000);

  it('bundle chart.js, reference the assets by version and keep everything same-origin', () => {
    expect(CONSOLE_JS).toMatch(/Chart\.js v4\.\d+\.\d+/); // the library's licence notice
    expect(CONSOLE_HTML).toContain(`console/app.js?v=${CONSOLE_VERSION}`);
    expect(CONSOLE_HTML).toContain(`console/styles.css?v=${CONSOLE_VERSION}`);
    // Works offline: no remote script, style or font.
    expect(CONSOLE_HTML).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(CONSOLE_CSS).not.toMatch(/url\(|@import/);
    // No inline script or style attribute (the CSP forbids them).
    expect(CONSOLE_HTML).not.toMatch(/<script>|<script(?![^>]*\bsrc=)[^>]*>|\sstyle="|<style/);
  });
});

describe('the api function serves the console', () => {
  it('GET / is the page, with a same-origin CSP, never cached stale', async () => {
    const res = await call(event('/'));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).not.toMatch(/unsafe|https?:/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body).toBe(CONSOLE_HTML);
  });

  it('serves app.js and styles.css; immutable when the version matches, revalidated otherwise; 304 on a matching ETag', async () => {
    const js = await call(event('/console/app.js', {}, { v: CONSOLE_VERSION }));
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.body).toBe(CONSOLE_JS);
    const css = await call(event('/console/styles.css'));
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers['cache-control']).toBe('no-cache');
    expect(css.body).toBe(CONSOLE_CSS);
    const again = await call(event('/console/app.js', { 'if-none-match': js.headers.etag }));
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('gzips for clients that accept it', async () => {
    const res = await call(event('/console/app.js', { 'accept-encoding': 'gzip, deflate, br' }));
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.isBase64Encoded).toBe(true);
    const body = gunzipSync(Buffer.from(res.body!, 'base64')).toString('utf8');
    expect(body).toBe(CONSOLE_JS);
    expect(res.body!.length).toBeLessThan(CONSOLE_JS.length / 2);
  });

  it('404 for an unknown asset, 405 for another method', async () => {
    const missing = await call(event('/console/nope.js'));
    expect(missing.statusCode).toBe(404);
    expect(JSON.parse(missing.body!).error.code).toBe('not_found');
    expect((await call(event('/', {}, undefined, 'POST'))).statusCode).toBe(405);
  });
});

describe('console formatting', () => {
  it('writes counts, shares, money and cells the same way everywhere', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatShare(0.12345)).toBe('12.3%');
    expect(formatShare(0.1234, 2)).toBe('12.34%');
    expect(formatShare(null)).toBe('—');
    expect(formatYuan(123456)).toBe('¥1,234.56');
    expect(formatCell(1, 3)).toBe('33');
    expect(formatCell(0, 0)).toBe('—');
  });

  it('does day arithmetic on YYYY-MM-DD strings', () => {
    expect(addDay('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDay('2026-03-01', -1)).toBe('2026-02-28');
    expect(isDay('2026-02-29')).toBe(false);
    expect(daysOf('2026-12-30', '2027-01-02')).toEqual(['2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02']);
    expect(tierSampleDays('2026-01-01', '2026-01-03')).toEqual(['2026-01-01', '2026-01-02', '2026-01-03']);
    const weekly = tierSampleDays('2026-01-01', '2026-12-31');
    expect(weekly.at(-1)).toBe('2026-12-31');
    expect(weekly[1] > weekly[0] && addDay(weekly[0], 7) === weekly[1]).toBe(true);
  });
});
