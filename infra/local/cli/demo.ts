// `npm run demo`: the embedded stack; a simulated history loaded through `npm run import` (daily
// jobs caught up day by day) and its last days streamed live through the events stream, each
// followed by the next morning's jobs; members redeeming coins at the till; a summary that shows
// the programme's life (silent and churned members, win-back offers and conversions, tiers, coins)
// — and the API left running. Persons browse anonymously before they sign up (some never do), buy
// as guests, identify late; members with two accounts are merged by an operator through the API
// between the history and the live days.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { addDays, dayOf, dayString, todayIn } from '../../../shared/days/days';
import { loadProgram } from '../../../shared/programme/load';
import { checkoutRedemptions, coinsToRedeem, eventsToJsonLines, operatorMerges, simulate, withIdentities } from '../../../simulator';
import { REPO_ROOT } from '../engine/lambda';
import { fail, launchStack, log, operatorTokenHint, readyMessage } from './launch';

const { values } = parseArgs({
  options: {
    // 200 persons × 120 days (~32k events): long enough for silence past 90 days (churn) with seed 42.
    members: { type: 'string', default: '200' },
    days: { type: 'string', default: '120' },
    'live-days': { type: 'string', default: '2' },
    seed: { type: 'string', default: '42' },
  },
});
const members = Number(values.members);
const days = Number(values.days);
const liveDays = Number(values['live-days']);
const seed = Number(values.seed);
if (![members, days, liveDays, seed].every(Number.isInteger) || members < 1 || days < 1 || liveDays < 0 || liveDays > days)
  fail('--members and --days must be positive integers, --live-days an integer 0…days, --seed an integer');

/** `npm run import -- FILE --summary SUMMARY` against this stack (it finds it through the state file). */
function importFile(file: string, summary: string): Promise<void> {
  const tsx = path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const child = spawn(process.execPath, [tsx, path.join(REPO_ROOT, 'infra/local/cli/import.ts'), file, '--summary', summary], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`import exited with ${code}`))));
  });
}

async function main(): Promise<void> {
  process.env.MEMBERFLOW_LOG_LEVEL ??= 'WARN';
  const stack = await launchStack();
  const api = async (path: string) => {
    const res = await fetch(`${stack.apiUrl}${path}`, { headers: { authorization: `Bearer ${stack.token}` } });
    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
    return (await res.json()) as any;
  };
  const program = loadProgram();
  const today = todayIn(program.timezone);
  // The history ends yesterday: nothing is in the future, and today's jobs see all of it.
  const start = addDays(today, -days);
  const firstLive = addDays(today, -liveDays);
  const events = withIdentities(simulate({ members, days, seed, start: dayString(start), timezone: program.timezone }), { seed });
  const lines = [...eventsToJsonLines(events)];
  const dayOfLine = (line: string) => dayOf(JSON.parse(line).occurredAt, program.timezone);
  // The history is everything before the first event of the live days; what follows is streamed.
  const firstLiveLine = lines.findIndex((l) => dayOfLine(l) >= firstLive);
  const split = firstLiveLine < 0 ? lines.length : firstLiveLine;
  const history = lines.slice(0, split);
  const liveByDay = new Map<number, string[]>();
  for (const l of lines.slice(split)) {
    const day = Math.max(firstLive, dayOfLine(l)); // a late record rides with the first live day
    liveByDay.set(day, [...(liveByDay.get(day) ?? []), l]);
  }
  // One person in 40 has two member accounts; the operator merges them after the history.
  const merges = operatorMerges(events, { seed, count: Math.max(1, Math.round(members / 40)), before: split });
  const identifies = events.filter((e) => e.type === 'identify').length;
  const t0 = Date.now();
  // Job commands by type: the import's catch-up, then the live mornings.
  const jobCommands = new Map<string, number>();
  const countCommands = (type: string, n: number) => jobCommands.set(type, (jobCommands.get(type) ?? 0) + n);

  if (history.length) {
    log(
      `importing ${history.length} events of ${members} persons over ${days - liveDays} days (${dayString(start)} … ${dayString(addDays(firstLive, -1))}), daily jobs caught up day by day`,
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'memberflow-demo-'));
    try {
      writeFileSync(path.join(dir, 'history.jsonl'), `${history.join('\n')}\n`);
      await importFile(path.join(dir, 'history.jsonl'), path.join(dir, 'summary.json'));
      const imported = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as { jobCommandsByType: Record<string, number> };
      for (const [type, n] of Object.entries(imported.jobCommandsByType)) countCommands(type, n);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  // The operator merges, through the API, once both accounts are in (their later events follow).
  let merged = 0;
  for (const m of merges) {
    const res = await fetch(`${stack.apiUrl}/members/${encodeURIComponent(m.into)}/merge`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ mergeId: m.mergeId, fromMemberId: m.from }),
    });
    if (res.status === 202) merged++;
  }
  await stack.drain({ timeoutMs: 600_000 });
  log(`operator merges: ${merged} of ${merges.length} accepted after the history`);
  const jobTotals = new Map<string, number>();
  const commandOf: Record<string, string> = {
    coins: 'coins_day',
    'tier-review': 'tier_review',
    winback: 'status_check',
    rfm: 'rfm_update',
  };
  const runJobs = async (day: number) => {
    for (const job of ['coins', 'tier-review', 'winback', 'rfm']) {
      const out = (await stack.runJob(job, dayString(day))) as { commands?: number };
      jobTotals.set(job, (jobTotals.get(job) ?? 0) + (out.commands ?? 0));
      countCommands(commandOf[job], out.commands ?? 0);
    }
    await stack.drain({ timeoutMs: 600_000 });
  };
  // The last days live: each day's events through the events stream, then the next morning's jobs.
  for (let day = firstLive; day < today; day++) {
    const dayLines = liveByDay.get(day) ?? [];
    const bar = new cliProgress.SingleBar(
      { format: `  ${dayString(day)} live [{bar}] {value}/{total} events`, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(dayLines.length, 0);
    for (let i = 0; i < dayLines.length; i += 2000) {
      await stack.putRecords(dayLines.slice(i, i + 2000), (n) => bar.update(i + n));
      bar.update(Math.min(i + 2000, dayLines.length));
    }
    bar.stop();
    await stack.drain({ timeoutMs: 600_000 });
    await runJobs(day + 1);
  }
  if (liveDays === 0) await runJobs(today);
  log(`jobs run live: ${[...jobTotals].map(([job, n]) => `${job} ${n} command(s)`).join(', ')}`);

  // The till: members redeem coins at checkout (some partly, some everything, some never), through
  // the API like a till — a redemption is booked on the day it is made, so these land today.
  const till = checkoutRedemptions(events, seed);
  let redemptions = 0;
  const byMember = new Map<string, typeof till>();
  for (const r of till) byMember.set(r.memberId, [...(byMember.get(r.memberId) ?? []), r]);
  const queue = [...byMember.values()];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let list = queue.shift(); list; list = queue.shift()) {
        for (const r of list) {
          const view = await fetch(`${stack.apiUrl}/members/${encodeURIComponent(r.memberId)}`, {
            headers: { authorization: `Bearer ${stack.token}` },
          });
          if (!view.ok) continue;
          const coins = coinsToRedeem(((await view.json()) as any).coins.available, r.share);
          if (coins <= 0) continue;
          const res = await fetch(`${stack.apiUrl}/members/${encodeURIComponent(r.memberId)}/coins/redemptions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ redemptionId: `checkout-${r.orderId}`, coins, orderId: r.orderId }),
          });
          if (res.status === 201 || res.status === 200) redemptions++;
        }
      }
    }),
  );
  log(`till: ${redemptions} coin redemptions at checkout (${till.length} checkouts by members who redeem)`);
  // Each redemption's coin counts are booked by the consumer from its coins_settle record on the
  // events stream (README, coin items): the figures below include them once the stream is drained.
  await stack.drain({ timeoutMs: 600_000 });

  const yesterday = dayString(addDays(today, -1));
  const daily = (await api(`/metrics/daily?from=${yesterday}&to=${yesterday}`)).days[0];
  const cohorts = (await api(`/metrics/retention?from=${dayString(start)}&to=${dayString(addDays(start, 6))}`)).cohorts;
  const winback = (await api(`/metrics/winback?from=${dayString(start)}&to=${dayString(today)}`)).days;
  const offers = winback.reduce((s: number, d: any) => s + d.offers, 0);
  const conversions = winback.reduce((s: number, d: any) => s + d.conversions, 0);
  const segments = (await api('/segments')) as { id: string; size: number }[];
  const programView = await api('/metrics/program');
  // A tier is reviewed a year after it was earned (contract §3): a history shorter than that has
  // none behind it, so the summary shows the reviews ahead and how they would go on today's points.
  const reviews = await api('/metrics/tier-reviews?days=365');
  const quarantined = (await api('/quarantine?limit=1000')).length;
  const coinDays = (await api(`/metrics/coins?from=${dayString(start)}&to=${dayString(today)}`)).days;
  const coinSum = (k: string) => coinDays.reduce((s: number, d: any) => s + d[k], 0);
  const coins = programView.coins;
  const yuan = (fen: number) => `¥${(fen / 100).toFixed(2)}`;
  const share = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(1)}%` : '—');
  const firstWeek = cohorts.reduce((acc: any, c: any) => ({ size: acc.size + c.size, d1: acc.d1 + c.onDay[1], d7: acc.d7 + c.onDay[7] }), {
    size: 0,
    d1: 0,
    d7: 0,
  });
  console.log(`
memberflow demo — ${lines.length} events (${history.length} imported, ${lines.length - history.length} streamed live) in ${((Date.now() - t0) / 1000).toFixed(0)} s
  members            ${programView.members}
  quarantined        ${quarantined}
  active ${yesterday}  DAU ${daily.dau}, WAU ${daily.wau}, MAU ${daily.mau} (stickiness DAU/MAU ${share(daily.dau, daily.mau)})
  first-week cohorts D1 ${share(firstWeek.d1, firstWeek.size)}, D7 ${share(firstWeek.d7, firstWeek.size)}
  tiers              ${Object.entries(programView.byTier)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}
  status             ${Object.entries(programView.byStatus)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}
  tier reviews       ${reviews.due} due in the next 365 days${reviews.nextDays[0] ? ` (first ${reviews.nextDays[0].day})` : ''}: on today's points ${reviews.keep} keep their tier, ${reviews.lose} would move down (${reviews.pointsShort} points short); ${Object.entries(
    reviews.byTier as Record<string, { due: number; lose: number }>,
  )
    .map(([tier, o]) => `${tier} ${o.lose}/${o.due} down`)
    .join(', ')}
  daily jobs         ${jobCommands.get('tier_review') ?? 0} tier reviews, ${jobCommands.get('status_check') ?? 0} status checks, ${jobCommands.get('coins_day') ?? 0} coin days, ${jobCommands.get('rfm_update') ?? 0} RFM updates (commands, imported history and live days)
  win-back           ${offers} offers to silent members, ${conversions} converted (${share(conversions, offers)})
  segments           ${segments
    .filter((g) => !/^(tier|status|rfm)-/.test(g.id))
    .map((g) => `${g.id} ${g.size}`)
    .join(', ')}
  coins              issued ${coinSum('issued')}, redeemed ${coinSum('redeemed')} (${redemptions} redemptions), revoked ${coinSum('revoked')}; outstanding ${coins.outstanding} + pending ${coins.pending} → liability ${yuan(coins.liabilityFen)}
  identity           ${identifies} identifies (many late), visitors ${daily.visitors} on ${yesterday}; ${merged} operator merges (e.g. ${merges[0] ? `${merges[0].from} → ${merges[0].into}` : '—'})
  customers (30 d)   ${programView.customers}, of whom members ${share(programView.kpis.memberShareOfCustomers * 10_000, 10_000)} (goal ≥ 90%)
  KPIs               important-value ${share(programView.kpis.importantValueShare * 10_000, 10_000)} (goal ≥ 20%), churned ${share(programView.kpis.churnedShare * 10_000, 10_000)} (goal ≤ 5%)

  API      ${stack.apiUrl}   (Authorization: Bearer ${operatorTokenHint(stack)})
  console  ${stack.apiUrl}/   (the operations console; paste the operator or the viewer token)
  try      curl -H "Authorization: Bearer ${operatorTokenHint(stack)}" '${stack.apiUrl}/metrics/daily?from=${dayString(start)}&to=${yesterday}'
  Ctrl-C stops everything.`);
  console.log(readyMessage(stack));
}

main().catch(fail);
