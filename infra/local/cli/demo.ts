// `npm run demo`: the embedded stack, a simulated month streamed through it with a progress bar —
// persons browsing anonymously before they sign up (some never do), guest purchases at the till,
// identifies arriving late, and members with two accounts merged by an operator through the API
// part-way through — the daily jobs for today, members redeeming coins at the till, a short summary
// — and the API left running.
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { addDays, dayString, todayIn } from '../../../shared/days/days';
import { loadProgram } from '../../../shared/programme/load';
import { checkoutRedemptions, coinsToRedeem, eventsToJsonLines, operatorMerges, simulate, withIdentities } from '../../../simulator';
import { fail, launchStack, log, operatorTokenHint, readyMessage } from './launch';

const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '300' },
    days: { type: 'string', default: '30' },
    seed: { type: 'string', default: '42' },
  },
});
const members = Number(values.members);
const days = Number(values.days);
const seed = Number(values.seed);
if (![members, days, seed].every(Number.isInteger) || members < 1 || days < 1)
  fail('--members and --days must be positive integers, --seed an integer');

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
  // The month ends yesterday: nothing is in the future, and today's jobs see all of it.
  const start = addDays(today, -days);
  const events = withIdentities(simulate({ members, days, seed, start: dayString(start), timezone: program.timezone }), { seed });
  const lines = [...eventsToJsonLines(events)];
  // One person in 40 has two member accounts; the operator merges them 60% of the way through.
  const split = Math.floor(lines.length * 0.6);
  const merges = operatorMerges(events, { seed, count: Math.max(1, Math.round(members / 40)), before: split });
  const identifies = events.filter((e) => e.type === 'identify').length;
  log(`streaming ${lines.length} events of ${members} persons over ${days} days (${dayString(start)} … ${dayString(addDays(today, -1))})`);

  const bar = new cliProgress.SingleBar(
    { format: '  sending  [{bar}] {percentage}% | {value}/{total} events | {eta_formatted} left', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(lines.length, 0);
  let sent = 0;
  const send = async (upTo: number) => {
    while (sent < upTo) {
      const chunk = lines.slice(sent, Math.min(sent + 2000, upTo));
      await stack.putRecords(chunk, (n) => bar.update(sent + n));
      sent += chunk.length;
      bar.update(sent);
    }
  };
  await send(split);
  // The operator merges, through the API, once both accounts are in (their later events follow).
  await stack.drain({ timeoutMs: 600_000 });
  let merged = 0;
  for (const m of merges) {
    const res = await fetch(`${stack.apiUrl}/members/${encodeURIComponent(m.into)}/merge`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ mergeId: m.mergeId, fromMemberId: m.from }),
    });
    if (res.status === 202) merged++;
  }
  await send(lines.length);
  bar.stop();
  log(`operator merges: ${merged} of ${merges.length} accepted part-way through`);
  log('waiting for the consumer to catch up');
  await stack.drain({ timeoutMs: 600_000 });
  for (const job of ['coins', 'tier-review', 'winback', 'rfm']) {
    const out = await stack.runJob(job, dayString(today));
    log(`job ${job}: ${JSON.stringify(out)}`);
  }
  await stack.drain({ timeoutMs: 600_000 });

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

  const yesterday = dayString(addDays(today, -1));
  const daily = (await api(`/metrics/daily?from=${yesterday}&to=${yesterday}`)).days[0];
  const cohorts = (await api(`/metrics/retention?from=${dayString(start)}&to=${dayString(addDays(start, 6))}`)).cohorts;
  const programView = await api('/metrics/program');
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
memberflow demo — ${lines.length} events streamed
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
