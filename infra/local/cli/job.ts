// `npm run job -- NAME [--as-of DAY]`: runs a daily job once inside the running `npm start`
// (through its loopback control endpoint), then waits until its effects are aggregated.
import { readRunningState } from '../engine/state';

function parseArgs(argv: string[]): { name: string; asOf?: string } {
  let name: string | undefined;
  let asOf: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--as-of') asOf = argv[++i];
    else if (a.startsWith('--as-of=')) asOf = a.slice('--as-of='.length);
    else if (!name && !a.startsWith('-')) name = a;
    else throw new Error(`unexpected argument ${a}`);
  }
  if (!name) throw new Error('usage: npm run job -- NAME [--as-of YYYY-MM-DD]   (NAME: tier-review, winback, rfm, coins)');
  if (asOf !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(asOf)) throw new Error(`--as-of must be a day YYYY-MM-DD, got "${asOf ?? ''}"`);
  return { name, asOf };
}

async function main(): Promise<void> {
  const { name, asOf } = parseArgs(process.argv.slice(2));
  const state = readRunningState();
  if (!state.apiUrl || !state.token) throw new Error('the running stack has no API (started without it?)');
  const headers = { authorization: `Bearer ${state.token}` };
  const query = asOf ? `?asOf=${encodeURIComponent(asOf)}` : '';
  const res = await fetch(`${state.apiUrl}/_local/jobs/${encodeURIComponent(name)}${query}`, { method: 'POST', headers });
  const body = await res.text();
  if (!res.ok) {
    let message = body;
    try {
      message = JSON.parse(body).error.message;
    } catch {
      /* not JSON */
    }
    throw new Error(message);
  }
  const drained = await fetch(`${state.apiUrl}/_local/drain`, { method: 'POST', headers });
  if (!drained.ok) throw new Error(`waiting for the consumers failed: HTTP ${drained.status}`);
  const { result } = JSON.parse(body) as { result: unknown };
  console.log(`job ${name} done${asOf ? ` (as of ${asOf})` : ''}${result === null ? '' : `: ${JSON.stringify(result)}`}`);
}

main().catch((err) => {
  console.error(`job: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
