/**
 * `npm run simulate -- --members N --days D --seed S [--start DAY] [--timezone ZONE] [--identities] [--send [--aggregate]]`
 *
 * Deterministic synthetic behaviour events (docs/events.md), one JSON line each, to stdout — or, with
 * `--send`, into the events stream of the running local stack (in chunks, progress on stderr).
 */
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { addDays, dayString, isDayString, isTimeZone, todayIn } from '../../../shared/days/days';
import { loadProgram } from '../../../shared/programme/load';
import { eventsToJsonLines, simulate, SIMULATE_DEFAULTS, withIdentities, type SimulateOptions } from '../../../simulator';

const USAGE = `usage: npm run simulate -- [--members N] [--days D] [--seed S] [--start YYYY-MM-DD] [--timezone ZONE] [--identities] [--send [--aggregate]]

  --members N      members to simulate (1–1000000, default 1000)
  --days D         days to simulate (1–3660, default 30)
  --seed S         integer seed; the same options give the same events (default 1)
  --start DAY      first day, YYYY-MM-DD in the programme time zone (default ${SIMULATE_DEFAULTS.start})
  --timezone ZONE  programme time zone (default: MEMBERFLOW_TZ, else the programme's timezone)
  --identities     persons behind the members (docs/rules.md#identity): ~30% browse anonymously
                   (wx:…, card:…) before an identify that often arrives late, some never sign up
  --send           send the events to the running local stack instead of printing JSON lines
  --aggregate      with --send: KPL-aggregate the records per shard (the producer library's option)
  -h, --help       this text`;

const SEND_CHUNK = 5_000;
const WRITE_CHUNK_CHARS = 1 << 16;

class UsageError extends Error {}

/** With --identities, the simulated members' histories rewritten with anonymous ids and identifies. */
let identities = false;
const history = (opts: Required<SimulateOptions>) => (identities ? withIdentities(simulate(opts), { seed: opts.seed }) : simulate(opts));

function integer(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const text = raw.trim();
  if (!/^[+-]?\d+$/.test(text)) throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(raw)}`);
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be between ${min} and ${max}, got ${text}`);
  }
  return value;
}

function parseOptions(argv: string[]): { opts: Required<SimulateOptions>; send: boolean; aggregate: boolean } | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: false,
      strict: true,
      options: {
        members: { type: 'string' },
        days: { type: 'string' },
        seed: { type: 'string' },
        start: { type: 'string' },
        timezone: { type: 'string' },
        send: { type: 'boolean', default: false },
        aggregate: { type: 'boolean', default: false },
        identities: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const v = parsed.values;
  if (v.help) return null;
  const members = integer('members', v.members, 1000, 1, 1_000_000);
  const days = integer('days', v.days, 30, 1, 3660);
  const seed = integer('seed', v.seed, 1, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const start = v.start ?? SIMULATE_DEFAULTS.start;
  if (!isDayString(start)) throw new UsageError(`--start must be a calendar date YYYY-MM-DD, got ${JSON.stringify(start)}`);
  let timezone = v.timezone ?? process.env.MEMBERFLOW_TZ;
  if (timezone === undefined || timezone === '') {
    try {
      timezone = loadProgram().timezone;
    } catch (error) {
      throw new UsageError(`cannot read the programme for its time zone (${(error as Error).message}); pass --timezone`);
    }
  }
  if (!isTimeZone(timezone))
    throw new UsageError(`--timezone must be an IANA time zone such as Asia/Shanghai, got ${JSON.stringify(timezone)}`);
  identities = v.identities;
  return { opts: { members, days, seed, start, timezone }, send: v.send, aggregate: v.aggregate };
}

/** Writes lines to stdout in large chunks, honouring back-pressure; a closed pipe ends quietly. */
async function printLines(lines: Iterable<string>): Promise<void> {
  const out = process.stdout;
  out.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    process.stderr.write(`simulate: cannot write to stdout: ${error.message}\n`);
    process.exit(1);
  });
  let buffer = '';
  for (const line of lines) {
    buffer += line + '\n';
    if (buffer.length >= WRITE_CHUNK_CHARS) {
      const ok = out.write(buffer);
      buffer = '';
      if (!ok) await once(out, 'drain');
    }
  }
  if (buffer !== '') out.write(buffer);
}

async function sendLines(opts: Required<SimulateOptions>, aggregate: boolean): Promise<number> {
  // Loaded only here, so printing JSON lines needs neither the AWS SDK nor a running stack.
  const { putLines } = await import('../engine/kinesis-producer');
  let total = 0;
  for (const _ of history(opts)) total++; // a cheap first pass, for the progress bar
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'sending |{bar}| {value}/{total} events {percentage}% | eta {eta_formatted}',
      hideCursor: true,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  let sent = 0;
  const flush = async (chunk: string[]): Promise<void> => {
    const base = sent;
    const n = await putLines(chunk, { aggregate, onProgress: (k) => bar.update(base + Math.min(k, chunk.length)) });
    sent = base + n;
    bar.update(sent);
  };
  try {
    let chunk: string[] = [];
    for (const line of eventsToJsonLines(history(opts))) {
      chunk.push(line);
      if (chunk.length >= SEND_CHUNK) {
        await flush(chunk);
        chunk = [];
      }
    }
    if (chunk.length > 0) await flush(chunk);
  } finally {
    bar.stop();
  }
  if (sent !== total) process.stderr.write(`simulate: only ${sent} of ${total} events were accepted\n`);
  return sent;
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`simulate: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed === null) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { opts, send, aggregate } = parsed;
  const lastDay = addDays(opts.start, opts.days - 1);
  const today = dayString(todayIn(opts.timezone));
  if (lastDay > today) {
    process.stderr.write(
      `simulate: note: the window ends on ${lastDay}, after today (${today}); the stack quarantines events more than 5 minutes in the future\n`,
    );
  }
  if (!send) {
    await printLines(eventsToJsonLines(history(opts)));
    return 0;
  }
  const sent = await sendLines(opts, aggregate);
  process.stdout.write(`sent ${sent} events\n`);
  exitWhenDone = true; // the SDK's keep-alive sockets would hold the process open
  return 0;
}

let exitWhenDone = false;

main().then(
  (code) => {
    if (code !== 0 || exitWhenDone) process.exit(code);
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`simulate: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
