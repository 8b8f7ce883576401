// The console test's fixture: the local stack filled by the simulator (a month and a half up to
// now, the sample bad records, the daily jobs, coins redeemed at the till), headless Chromium with
// DNS switched off, and the helpers the test drives the page with. `page` and `stack` are live
// bindings, set by the beforeAll that useConsoleFixture() registers.
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DeleteStreamCommand } from '@aws-sdk/client-kinesis';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { addDay } from '../../console/format';
import { kinesisClient } from '../../infra/local/engine/aws';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';
import { dayString, todayIn } from '../../shared/days/days';
import { checkoutRedemptions, coinsToRedeem, eventsToJsonLines, simulate } from '../../simulator';
import { findChromium } from './chromium';

export const CHROMIUM = findChromium(); // null (with a message) when missing outside CI; throws in CI
export const token = 'console-test-token';
export const viewerToken = 'console-test-viewer-token';
export const MEMBERS = 200;
export const DAYS = 45; // long enough for 30-day silences, so the win-back panel has offers
export const TZ = 'Asia/Shanghai';
export const TODAY = dayString(todayIn(TZ));
export const FROM = addDay(TODAY, -(DAYS - 1));
export const TO = TODAY;
export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/console/', import.meta.url));
export const DOCS_SCREENSHOT = fileURLToPath(new URL('../../docs/console.png', import.meta.url));

export let stack: LocalStack;
export let browser: Browser;
export let page: Page;
export const problems: string[] = []; // page errors and CSP violations
export const requested: string[] = [];

export async function get<T = any>(path: string): Promise<T> {
  const res = await fetch(`${stack.apiUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

export const text = async (testid: string) => ((await page.getByTestId(testid).first().textContent()) ?? '').trim();
export const rowsOf = (testid: string) =>
  page.$$eval(`[data-testid="${testid}"] tbody tr`, (rows) =>
    rows.map((r) => [...(r as HTMLTableRowElement).cells].map((c) => (c.textContent ?? '').trim())),
  );

/** Opens a page by its tab and waits until it has rendered its answers. */
export async function visit(name: string): Promise<void> {
  await page.evaluate((n) => {
    const section = document.querySelector(`[data-testid="page-${n}"]`) as HTMLElement;
    section.dataset.state = '';
  }, name);
  await page.getByTestId(`tab-${name}`).click();
  await waitReady(name);
}

export async function waitReady(name: string): Promise<void> {
  await page.waitForSelector(`[data-testid="page-${name}"][data-state="ready"]`, { timeout: 60_000 });
}

export async function screenshot(name: string): Promise<string> {
  const file = `${ARTIFACTS}${name}.png`;
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Ids of the identity story the member lookup shows (docs/rules.md#identity). */
export const STORY = { kept: 'console-kept', gone: 'console-gone', device: 'wx:console-device' };

/**
 * Two members of one person merged by an operator, the member merged away silver by its purchase
 * and an app install identified to the member kept: for the member lookup's identities.
 */
async function mergeStory(): Promise<void> {
  const at = (n: number, hour: number) => `${addDay(FROM, n)}T${String(hour).padStart(2, '0')}:00:00+08:00`;
  const events = [
    { type: 'signup', memberId: STORY.gone, occurredAt: at(2, 10) },
    {
      type: 'purchase',
      memberId: STORY.gone,
      channel: 'store',
      orderId: 'console-g-1',
      occurredAt: at(3, 10),
      lines: [{ sku: 's', category: 'food', amountCents: 150_000 }],
    },
    { type: 'app_open', anonymousId: STORY.device, occurredAt: at(4, 9) },
    { type: 'signup', memberId: STORY.kept, occurredAt: at(4, 10) },
    { type: 'identify', memberId: STORY.kept, anonymousId: STORY.device, occurredAt: at(4, 11) },
    {
      type: 'purchase',
      memberId: STORY.kept,
      channel: 'app',
      orderId: 'console-k-1',
      occurredAt: at(5, 10),
      lines: [{ sku: 's', category: 'food', amountCents: 20_000 }],
    },
  ].map((e, i) => JSON.stringify({ eventId: `console-story-${i}`, ...e }));
  await stack.putRecords(events);
  await stack.drain({ timeoutMs: 120_000 });
  const res = await fetch(`${stack.apiUrl}/members/${STORY.kept}/merge`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ mergeId: 'console-merge-1', fromMemberId: STORY.gone }),
  });
  expect(res.status).toBe(202);
  await stack.drain({ timeoutMs: 120_000 });
}

/** Registers the stack, the data and the browser page in the calling test file (skipped without Chromium). */
export function useConsoleFixture(): void {
  beforeAll(async () => {
    if (!CHROMIUM) return;
    process.env.MEMBERFLOW_LOG_LEVEL ??= 'WARN'; // the handlers' per-batch INFO lines would drown the report
    stack = await attachLocalStack({
      endpoints: inject('endpoints'),
      prefix: `console${process.pid}-`,
      apiPort: 0,
      token,
      viewerToken,
      withScheduler: false,
      mappingOverrides: { maximumBatchingWindowInSeconds: 0 },
    });
    // A simulated month and a half up to now (nothing in the future), plus the sample bad records.
    const now = Date.now() - 60_000;
    const events = [...simulate({ members: MEMBERS, days: DAYS, seed: 7, start: FROM, timezone: TZ })].filter(
      (e) => Date.parse(e.occurredAt) <= now,
    );
    const bad = readFileSync(new URL('../../events/bad-records.jsonl', import.meta.url), 'utf8')
      .split('\n')
      .filter((l) => l.trim());
    await stack.putRecords([...eventsToJsonLines(events), ...bad]);
    await stack.drain({ timeoutMs: 240_000 });
    // The daily jobs: win-back first as of day 31 (then today's run catches up the days between), RFM.
    await stack.runJob('winback', addDay(FROM, 31));
    await stack.drain({ timeoutMs: 120_000 });
    for (const job of ['winback', 'tier-review', 'rfm', 'coins']) await stack.runJob(job, TODAY);
    await stack.drain({ timeoutMs: 120_000 });
    // Coins at the till: members who redeem, at checkout, part of what they hold.
    for (const r of checkoutRedemptions(events, 7).slice(0, 40)) {
      const m = await fetch(`${stack.apiUrl}/members/${r.memberId}`, { headers: { authorization: `Bearer ${token}` } });
      if (!m.ok) continue;
      const coins = coinsToRedeem(((await m.json()) as any).coins.available, r.share);
      if (coins <= 0) continue;
      await fetch(`${stack.apiUrl}/members/${r.memberId}/coins/redemptions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ redemptionId: `console-${r.orderId}`, coins, orderId: r.orderId }),
      });
    }
    await mergeStory();

    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        // No name resolves: only the loopback API (and the loopback S3 of the downloads) is reachable.
        '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
      else if (m.type() === 'error' && !/status of 40[134]/.test(m.text())) problems.push(`console error: ${m.text()}`);
    });
    page.on('request', (r) => requested.push(r.url()));
  }, 420_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    // Give the shards back: the suite's kinesis-mock allows 50 in all, across every test file.
    if (stack) {
      const kin = kinesisClient(stack.endpoints);
      for (const StreamName of Object.values(stack.names.streams)) {
        await kin.send(new DeleteStreamCommand({ StreamName, EnforceConsumerDeletion: true })).catch(() => undefined);
      }
      kin.destroy();
    }
  });
}
