// The operations console in headless Chromium (Debian's, see test/support/chromium.ts; driven by playwright-core)
// against the local stack filled by the simulator: every page shows the API's numbers, the export
// button produces a downloadable file, a wrong or expired token gets a clear message, the token is
// asked for once per tab, and the page needs no network beyond the API (DNS is switched off).
// Screenshots of every page go to test-artifacts/console/ (gitignored).
import { copyFileSync, existsSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addDay, formatCell, formatCount, formatShare, formatYuan, ratio, RFM_GRID, tierSampleDays } from '../../console/format';
import { EXPORT_COLUMNS } from '../../shared/exports/export-format';
import {
  ARTIFACTS,
  CHROMIUM,
  DAYS,
  DOCS_SCREENSHOT,
  FROM,
  get,
  page,
  problems,
  requested,
  rowsOf,
  screenshot,
  stack,
  STORY,
  text,
  TO,
  TODAY,
  token,
  useConsoleFixture,
  viewerToken,
  visit,
  waitReady,
} from '../support/console-fixture';

useConsoleFixture();

describe.skipIf(!CHROMIUM)('the operations console', () => {
  it('is served by the api with a same-origin CSP, and asks for the token; a wrong one gets a clear message', async () => {
    const res = await fetch(`${stack.apiUrl}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'/);

    await page.goto(`${stack.apiUrl}/?from=${FROM}&to=${TO}#overview`);
    await expect.poll(() => page.getByTestId('signin').isVisible()).toBe(true);
    expect(await page.getByTestId('token-error').isVisible()).toBe(false); // the first ask is no error

    await page.getByTestId('token-input').fill('not-the-token');
    await page.getByTestId('token-submit').click();
    await page.getByTestId('token-error').waitFor({ state: 'visible' });
    expect(await text('token-error')).toMatch(/wrong or expired token/i);
    expect(await page.getByTestId('signin').isVisible()).toBe(true);
    await screenshot('wrong-token');

    await page.getByTestId('token-input').fill(token);
    await page.getByTestId('token-submit').click();
    await waitReady('overview');
    expect(await page.getByTestId('signin').isVisible()).toBe(false);
    expect(await page.evaluate(() => sessionStorage.getItem('memberflow.console.token'))).toBe(token);
  }, 60_000);

  it('Overview: members, active today, DAU/WAU/MAU, new members, stickiness and the KPIs as the API answers them', async () => {
    const daily = await get(`/metrics/daily?from=${FROM}&to=${TO}`);
    const program = await get(`/metrics/program?asOf=${TO}`);
    const days = daily.days as any[];
    const last = days.at(-1);
    expect(days).toHaveLength(DAYS);
    expect(program.members).toBeGreaterThan(100);

    expect(await page.getByTestId('range-from').inputValue()).toBe(FROM);
    expect(await page.getByTestId('range-to').inputValue()).toBe(TO);
    expect(await text('kpi-members')).toBe(formatCount(program.members));
    expect(await text('kpi-active-today')).toBe(formatCount(last.dau));
    expect(await text('kpi-wau')).toBe(formatCount(last.wau));
    expect(await text('kpi-mau')).toBe(formatCount(last.mau));
    expect(await text('kpi-stickiness')).toBe(formatShare(ratio(last.dau, last.mau)));
    const stickiness = days.map((d) => ratio(d.dau, d.mau)).filter((x): x is number => x !== null);
    expect(await text('kpi-stickiness-avg')).toBe(formatShare(stickiness.reduce((a, b) => a + b, 0) / stickiness.length));
    expect(await text('kpi-new-members')).toBe(formatCount(days.reduce((s, d) => s + d.newMembers, 0)));
    for (const status of ['active', 'silent', 'churned'])
      expect(await text(`status-${status}`)).toBe(formatCount(program.byStatus[status]));
    expect(await text('kpi-important-value')).toBe(formatShare(program.kpis.importantValueShare, 2));
    expect(await page.getByTestId('kpi-important-value-status').getAttribute('data-met')).toBe(
      String(program.kpis.importantValueShare >= program.kpis.importantValueGoal),
    );
    expect(await text('kpi-churned')).toBe(formatShare(program.kpis.churnedShare, 2));
    expect(await text('kpi-member-share')).toBe(formatShare(program.kpis.memberShareOfCustomers, 2));
    expect(await page.getByTestId('kpi-member-share-status').getAttribute('data-met')).toBe(
      String(program.kpis.memberShareOfCustomers >= program.kpis.memberShareOfCustomersGoal),
    );
    expect(await page.getByTestId('kpi-churned-status').getAttribute('data-met')).toBe(
      String(program.kpis.churnedShare <= program.kpis.churnedGoal),
    );

    // The charts' data, as the tables under them show it.
    expect(await rowsOf('table-active')).toEqual(days.map((d) => [d.day, formatCount(d.dau), formatCount(d.wau), formatCount(d.mau)]));
    expect(await rowsOf('table-new')).toEqual(days.map((d) => [d.day, formatCount(d.newMembers)]));
    expect(await rowsOf('table-stickiness')).toEqual(days.map((d) => [d.day, formatShare(ratio(d.dau, d.mau))]));
    expect(await page.locator('#chart-active').boundingBox()).toMatchObject({ width: expect.any(Number) });

    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${ARTIFACTS}overview-viewport.png` });
    await screenshot('overview');
    // The README's picture: refreshed on request (or when missing), so a test run leaves the tree clean.
    if (process.env.MEMBERFLOW_UPDATE_SCREENSHOT || !existsSync(DOCS_SCREENSHOT))
      copyFileSync(`${ARTIFACTS}overview-viewport.png`, DOCS_SCREENSHOT);
    expect(statSync(`${ARTIFACTS}overview-viewport.png`).size).toBeLessThan(300 * 1024);
  }, 60_000);

  it('Retention: the cohort × day heatmap (on-day and on-or-after), D1/D7/D14/D30 and the channels', async () => {
    await visit('retention');
    const { cohorts } = await get(`/metrics/retention?from=${FROM}&to=${TO}`);
    const { channels } = await get(`/metrics/retention-by-channel?from=${FROM}&to=${TO}`);
    expect(cohorts.length).toBe(DAYS);
    for (const mode of ['onDay', 'onOrAfterDay'] as const) {
      const shown = await page.$$eval(`[data-testid="ret-heatmap-${mode}"] tbody tr`, (rows) =>
        rows.map((r) => ({
          cohort: r.getAttribute('data-cohort'),
          size: (r.children[1].textContent ?? '').trim(),
          cells: [...r.querySelectorAll('td[data-day]')].map((td) => ({
            n: Number(td.getAttribute('data-n')),
            text: (td.textContent ?? '').trim(),
            key: td.classList.contains('key'),
          })),
        })),
      );
      expect(shown.map((r) => r.cohort)).toEqual([...cohorts.map((c: any) => c.cohort), 'all']);
      for (const [i, c] of (cohorts as any[]).entries()) {
        expect(shown[i].size).toBe(formatCount(c.size));
        expect(shown[i].cells.map((x) => x.n)).toEqual(c[mode]);
        expect(shown[i].cells.map((x) => x.text)).toEqual(
          c[mode].map((n: number, d: number) => (addDay(c.cohort, d) >= TODAY ? '' : formatCell(n, c.size))),
        );
        expect(shown[i].cells.filter((x) => x.key).length).toBe(4);
      }
      // The weighted row over the cohorts that completed each day.
      const all = shown.at(-1)!.cells;
      for (let d = 0; d <= 30; d++) {
        const done = (cohorts as any[]).filter((c) => addDay(c.cohort, d) < TODAY);
        const n = done.reduce((s, c) => s + c[mode][d], 0);
        const size = done.reduce((s, c) => s + c.size, 0);
        expect(all[d]).toMatchObject({ n, text: size ? formatCell(n, size) : '' });
      }
    }
    for (const d of [1, 7, 14, 30]) {
      const done = (cohorts as any[]).filter((c) => addDay(c.cohort, d) < TODAY);
      const size = done.reduce((s, c) => s + c.size, 0);
      expect(await text(`ret-d${d}`)).toBe(
        formatShare(
          ratio(
            done.reduce((s, c) => s + c.onDay[d], 0),
            size,
          ),
        ),
      );
      expect(await text(`ret-d${d}-after`)).toBe(
        formatShare(
          ratio(
            done.reduce((s, c) => s + c.onOrAfterDay[d], 0),
            size,
          ),
        ),
      );
    }
    const cell = (n: number, size: number) => `${formatShare(ratio(n, size))} (${formatCount(n)})`;
    expect(channels.length).toBeGreaterThan(1);
    expect(await rowsOf('ret-channels')).toEqual(
      channels.map((c: any) => [
        c.channel,
        formatCount(c.size),
        cell(c.d1, c.size),
        cell(c.d7, c.size),
        cell(c.d14, c.size),
        cell(c.d30, c.size),
      ]),
    );

    await page.getByTestId('ret-mode-onOrAfterDay').check();
    expect(await page.getByTestId('ret-heatmap-onOrAfterDay').isVisible()).toBe(true);
    expect(await page.getByTestId('ret-heatmap-onDay').isVisible()).toBe(false);
    await screenshot('retention-on-or-after');
    await page.getByTestId('ret-mode-onDay').check();
    await screenshot('retention');
  }, 60_000);

  it('Tiers & segments: members per tier over time, the RFM grid, segment sizes, and an export to download', async () => {
    await visit('tiers');
    const views = await Promise.all(tierSampleDays(FROM, TO).map((d) => get(`/metrics/program?asOf=${d}`)));
    const latest = views.at(-1);
    const tiers = Object.keys(latest.byTier);
    expect(await rowsOf('table-tiers')).toEqual(
      views.map((v) => [v.asOf, ...tiers.map((t) => formatCount(v.byTier[t])), formatCount(v.members)]),
    );
    for (const t of tiers) expect(await text(`tier-${t}`)).toBe(formatCount(latest.byTier[t]));
    expect(await text('tier-reviews')).toBe(formatCount((await get('/metrics/tier-reviews?days=365')).due));
    const rfmTotal = Object.values(latest.byRfm as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(rfmTotal).toBeGreaterThan(0);
    expect(await text('rfm-total')).toBe(formatCount(rfmTotal));
    for (const cls of RFM_GRID.flatMap((r) => r.classes)) expect(await text(`rfm-${cls}`)).toBe(formatCount(latest.byRfm[cls]));

    const segments = await get<{ id: string; name: string; size: number }[]>('/segments');
    expect(await page.$$eval('[data-testid="segments"] tbody tr', (rows) => rows.map((r) => r.getAttribute('data-segment')))).toEqual(
      segments.map((s) => s.id),
    );
    for (const s of segments) expect(await text(`segment-${s.id}-size`)).toBe(formatCount(s.size));

    // Export the largest tier segment as CSV: progress, then the link; download it and check the rows.
    const segment = segments.find((s) => s.id === 'tier-member')!;
    expect(segment.size).toBeGreaterThan(0);
    await page.getByTestId(`export-${segment.id}`).click();
    await page.getByTestId('export-status').waitFor({ state: 'visible' });
    const link = page.getByTestId('export-download');
    await link.waitFor({ state: 'visible', timeout: 120_000 });
    expect(await page.getByTestId('export-status').getAttribute('data-status')).toBe('done');
    const href = (await link.getAttribute('href'))!;
    expect(await link.getAttribute('download')).toBe(`${segment.id}.csv`);
    const exported = await get(`/exports/${await link.getAttribute('data-export-id')}`);
    expect(exported).toMatchObject({ segmentId: segment.id, format: 'csv', status: 'done' });
    expect(await text('export-rows')).toBe(formatCount(exported.rowCount));

    const download = await fetch(href);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await download.text()).split('\r\n');
    expect(lines.pop()).toBe('');
    expect(lines[0]).toBe(EXPORT_COLUMNS.join(','));
    const ids = lines.slice(1).map((l) => l.split(',')[0]);
    expect(ids).toHaveLength(exported.rowCount);
    const members: string[] = [];
    let cursor: string | null = null;
    do {
      const pageOf: { members: string[]; nextCursor: string | null } = await get(
        `/segments/${segment.id}/members?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      members.push(...pageOf.members);
      cursor = pageOf.nextCursor;
    } while (cursor);
    expect([...ids].sort()).toEqual([...members].sort());
    expect(ids).toHaveLength(segment.size);
    for (const line of lines.slice(1)) expect(line.split(',')[1]).toBe('member');
    await screenshot('tiers');

    // A segment's members open in the member lookup.
    const silver = segments.find((s) => s.id === 'tier-silver')!;
    if (silver.size > 0) {
      await page.getByTestId(`members-${silver.id}`).click();
      const first = page.getByTestId('segment-members').locator('button').first();
      const id = (await first.textContent())!.trim();
      await first.click();
      await waitReady('member');
      expect(await text('member-name')).toBe(id);
      expect(await text('member-tier')).toBe('silver');
    }
  }, 180_000);

  it('Member lookup: tier, points, progress to the next tier, review date, status, segments and recent activity', async () => {
    const silver = await get(`/segments/tier-silver/members?limit=1`);
    const anyone = await get(`/segments/tier-member/members?limit=1`);
    const memberId: string = silver.members[0] ?? anyone.members[0];
    const m = await get(`/members/${memberId}?asOf=${TO}`);
    const tiers = Object.keys((await get(`/metrics/program?asOf=${TO}`)).byTier);

    await visit('member');
    expect(await page.getByTestId('member-asof').inputValue()).toBe(TO);
    await page.getByTestId('member-id').fill(memberId);
    await page.evaluate(() => ((document.querySelector('[data-testid="page-member"]') as HTMLElement).dataset.state = ''));
    await page.getByTestId('member-submit').click();
    await waitReady('member');
    expect(await text('member-name')).toBe(memberId);
    expect(await text('member-tier')).toBe(m.tier);
    expect(await text('member-status')).toBe(m.status);
    expect(await text('member-qualifying')).toBe(formatCount(m.qualifyingPoints));
    expect(await text('member-lifetime')).toBe(formatCount(m.lifetimePoints));
    expect(await text('member-tier-since')).toBe(m.tierSince ?? '—');
    expect(await text('member-review')).toBe(m.tierReviewOn ?? '— (the base tier is not reviewed)');
    expect(await text('member-remain')).toBe(formatCount(m.pointsRequiredToRemain));
    const next = tiers[tiers.indexOf(m.tier) + 1];
    expect(await text('member-next')).toBe(
      m.pointsToNextTier === null ? 'top tier reached' : `${formatCount(m.pointsToNextTier)} points to ${next}`,
    );
    const share = m.pointsToNextTier === null ? 1 : m.qualifyingPoints / (m.qualifyingPoints + m.pointsToNextTier);
    expect(Number(await page.getByTestId('member-progress').getAttribute('data-share'))).toBeCloseTo(share, 4);
    expect(await text('member-last-active')).toBe(m.lastActiveOn ?? 'never');
    expect(await text('member-active-days')).toBe(formatCount(m.activeDays));
    expect(await text('member-joined')).toBe(m.joinedOn);
    expect(await text('member-channel')).toBe(m.acquisitionChannel ?? '—');
    expect(await text('member-rfm-frequency')).toBe(formatCount(m.rfm?.frequency ?? 0));
    expect(await text('member-rfm-monetary')).toBe(formatYuan(m.rfm?.monetaryCents ?? 0));
    expect(await text('member-rfm-segment')).toBe(m.rfm?.segment ? `${m.rfm.segment} (R${m.rfm.r} F${m.rfm.f} M${m.rfm.m})` : '—');
    expect(
      await page.$$eval('[data-testid="member-segments"] [data-segment]', (els) => els.map((e) => e.getAttribute('data-segment'))),
    ).toEqual(m.segments);
    if (m.tierHistory.length)
      expect(await rowsOf('member-history')).toEqual(
        m.tierHistory.map((c: any) => [c.day, c.from, c.to, c.reason, c.mergedFrom ?? memberId]),
      );
    // Coins: the balance and the latest movements.
    expect(await text('member-coins-available')).toBe(formatCount(m.coins.available));
    expect(await text('member-coins-pending')).toBe(formatCount(m.coins.pending));
    expect(await text('member-coins-debt')).toBe(formatCount(m.coins.debt));
    const { entries } = await get(`/members/${memberId}/coins/ledger?limit=10`);
    if (entries.length)
      expect(await rowsOf('member-coins-ledger')).toEqual(
        entries.map((e: any) => [e.day, e.kind, formatCount(e.coins), e.lotId ?? '—', e.ref, e.mergedFrom ?? memberId]),
      );
    await screenshot('member');

    await page.getByTestId('member-id').fill('nobody-here');
    await page.getByTestId('member-submit').click();
    await page.getByTestId('member-error').waitFor({ state: 'visible' });
    expect(await text('member-error')).toBe('No member nobody-here.');
  }, 60_000);

  it('Member lookup after a merge: identities, merged members and their history; the merged id and the device id lead to it', async () => {
    const lookUp = async (id: string) => {
      await page.getByTestId('member-id').fill(id);
      await page.evaluate(() => ((document.querySelector('[data-testid="page-member"]') as HTMLElement).dataset.state = ''));
      await page.getByTestId('member-submit').click();
      await waitReady('member');
    };
    await visit('member');
    await page.getByTestId('member-asof').fill(TO);
    await lookUp(STORY.kept);
    const m = await get(`/members/${STORY.kept}?asOf=${TO}`);
    expect(m).toMatchObject({ identities: [STORY.device], mergedMembers: [STORY.gone], tier: 'silver' });
    expect(await text('member-tier')).toBe('silver');
    expect(await page.$$eval('[data-testid="member-identities"] [data-identity]', (els) => els.map((e) => e.textContent))).toEqual([
      STORY.device,
    ]);
    expect(await page.$$eval('[data-testid="member-merged"] [data-merged]', (els) => els.map((e) => e.textContent))).toEqual([STORY.gone]);
    // The merged member's own upgrade shows beside the merge, and its coins in the ledger.
    const history = await rowsOf('member-history');
    expect(history).toEqual(m.tierHistory.map((c: any) => [c.day, c.from, c.to, c.reason, c.mergedFrom ?? STORY.kept]));
    expect(history.map((r) => [r[3], r[4]])).toEqual(
      expect.arrayContaining([
        ['merge', STORY.kept],
        ['earn', STORY.gone],
      ]),
    );
    const ledger = await rowsOf('member-coins-ledger');
    expect(ledger.filter((r) => r[1] === 'earn').map((r) => [r[4], r[5]])).toEqual(
      expect.arrayContaining([
        ['console-g-1', STORY.gone],
        ['console-k-1', STORY.kept],
      ]),
    );
    await screenshot('member-merged');

    // The member merged away names the member kept, and opens it.
    await lookUp(STORY.gone);
    expect(await text('member-error')).toBe(`${STORY.gone} was merged into ${STORY.kept}.`);
    await page.evaluate(() => ((document.querySelector('[data-testid="page-member"]') as HTMLElement).dataset.state = ''));
    await page.getByTestId('member-merged-into').click();
    await waitReady('member');
    expect(await text('member-name')).toBe(STORY.kept);

    // The device id answers for its member, and says so.
    await lookUp(STORY.device);
    expect(await text('member-name')).toBe(STORY.kept);
    expect(await text('member-linked-note')).toBe(`${STORY.device} is an anonymous id linked to ${STORY.kept}.`);
  }, 60_000);

  it('Coins: issued, redeemed and expired per day, the liability over time, coins expiring in 30 days', async () => {
    await visit('coins');
    const { days } = await get(`/metrics/coins?from=${FROM}&to=${TO}`);
    const program = await get('/metrics/program');
    const sum = (k: string) => days.reduce((s: number, d: any) => s + d[k], 0);
    expect(sum('issued')).toBeGreaterThan(0);
    expect(sum('redeemed')).toBeGreaterThan(0);
    expect(await text('coins-issued')).toBe(formatCount(sum('issued')));
    expect(await text('coins-redeemed')).toBe(formatCount(sum('redeemed')));
    expect(await text('coins-expired')).toBe(formatCount(sum('expired')));
    expect(await text('coins-liability')).toBe(formatYuan(program.coins.liabilityFen));
    expect(await text('coins-expiring')).toBe(formatCount(program.coins.expiringNext30Days.coins));
    expect(await rowsOf('table-coins')).toEqual(
      days.map((d: any) => [
        d.day,
        formatCount(d.issued),
        formatCount(d.redeemed),
        formatCount(d.expired),
        formatCount(d.outstanding),
        formatCount(d.pending),
        formatYuan(d.liabilityFen),
      ]),
    );
    await screenshot('coins');
  }, 60_000);

  it('Quarantine: the bad records, newest first, with their reasons', async () => {
    await visit('quarantine');
    const entries = await get<any[]>('/quarantine?limit=200');
    expect(entries.length).toBeGreaterThan(0);
    expect(await text('quarantine-count')).toBe(formatCount(entries.length));
    const reasons = new Map<string, number>();
    for (const e of entries) reasons.set(e.reason, (reasons.get(e.reason) ?? 0) + 1);
    for (const [reason, n] of reasons) expect(await text(`quarantine-reason-${reason}`)).toBe(formatCount(n));
    const rows = await rowsOf('quarantine-table');
    expect(rows.map((r) => r.slice(0, 5))).toEqual(
      entries.map((e) => [e.receivedAt, e.reason, e.detail ?? '', e.eventId ?? '—', e.memberId ?? '—']),
    );
    await screenshot('quarantine');
  }, 60_000);

  it('Win-back: offers, conversions and the rate per day', async () => {
    await visit('winback');
    const { days } = await get(`/metrics/winback?from=${FROM}&to=${TO}`);
    const offers = days.reduce((s: number, d: any) => s + d.offers, 0);
    const conversions = days.reduce((s: number, d: any) => s + d.conversions, 0);
    expect(offers).toBeGreaterThan(0);
    expect(await text('winback-offers')).toBe(formatCount(offers));
    expect(await text('winback-conversions')).toBe(formatCount(conversions));
    expect(await text('winback-rate')).toBe(formatShare(ratio(conversions, offers)));
    expect(await rowsOf('table-winback')).toEqual(days.map((d: any) => [d.day, formatCount(d.offers), formatCount(d.conversions)]));
    await screenshot('winback');
  }, 60_000);

  it('keeps the token for the session; an expired one is asked for again with the message', async () => {
    await page.reload();
    await waitReady('winback');
    expect(await page.getByTestId('signin').isVisible()).toBe(false);

    await page.evaluate(() => sessionStorage.setItem('memberflow.console.token', 'expired-token'));
    await page.reload();
    await page.getByTestId('token-error').waitFor({ state: 'visible' });
    expect(await text('token-error')).toMatch(/wrong or expired token/i);
    await screenshot('expired-token');
    await page.getByTestId('token-input').fill(token);
    await page.getByTestId('token-submit').click();
    await waitReady('winback');
  }, 60_000);

  it('works with the viewer token and hides what a viewer may not use', async () => {
    await page.evaluate(() => sessionStorage.removeItem('memberflow.console.token'));
    await page.goto(`${stack.apiUrl}/#tiers`);
    await page.getByTestId('token-input').fill(viewerToken);
    await page.getByTestId('token-submit').click();
    await waitReady('tiers');
    expect(await page.evaluate(() => document.body.dataset.role)).toBe('viewer');
    expect(await page.getByTestId('tab-member').isVisible()).toBe(false);
    expect(await page.getByTestId('tab-quarantine').isVisible()).toBe(false);
    expect(await page.getByTestId('tab-overview').isVisible()).toBe(true);
    expect(await page.getByTestId('export-format').isVisible()).toBe(false);
    // The segment sizes (a viewer route) are shown; their exports and member lists are not.
    const segments = await get<{ id: string; size: number }[]>('/segments');
    expect(await text(`segment-${segments[0].id}-size`)).toBe(formatCount(segments[0].size));
    expect(await page.locator('button.export').count()).toBe(0);
    expect(await page.locator('[data-testid^="members-"]').count()).toBe(0);
    await screenshot('viewer-tiers');
    // An operator page's address shows the overview instead.
    await page.goto(`${stack.apiUrl}/#member/m00001`);
    await waitReady('overview');
    expect(await page.getByTestId('page-member').isVisible()).toBe(false);
    await page.evaluate(() => sessionStorage.removeItem('memberflow.console.token'));
  }, 60_000);

  it('loaded nothing from anywhere but the API, with no script error or CSP violation', () => {
    expect(requested.length).toBeGreaterThan(20);
    expect(requested.filter((u) => !u.startsWith(`${stack.apiUrl}/`) && !u.startsWith('data:'))).toEqual([]);
    expect(problems).toEqual([]);
  });
});
