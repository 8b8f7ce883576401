// The local EventBridge Scheduler: fires each schedule's function at its cron/rate expression in
// the schedule's time zone with the schedule's Input as the event, and runs jobs on demand. As in
// AWS (docs/aws.md): context attributes such as `<aws.scheduler.scheduled-time>` are substituted,
// a wall-clock time repeated by a daylight-saving fall-back fires once (a skipped one not at all),
// and a run that fails is retried twice with the same event (Lambda's asynchronous retries).

export interface LocalSchedule {
  name: string;
  /** Job name: Input.job, else the handler file's base name (functions/rfm.ts → rfm). */
  job: string;
  expression: string;
  timezone: string;
  input: Record<string, unknown>;
  enabled: boolean;
  invoke: (event: Record<string, unknown>) => Promise<unknown>;
}

export interface SchedulerOptions {
  /**
   * Waits before the retries of a failed run. AWS: Lambda's two asynchronous retries, 1 and 2
   * minutes after the failures (then JobFailuresQueue); locally 1 s and 2 s by default.
   */
  retryDelaysMs?: readonly number[];
  log?: (msg: string) => void;
}

/** Scheduler's context attributes in a target's input, for one attempt of the run scheduled at `at`. */
export function withContextAttributes(
  input: Record<string, unknown>,
  scheduleName: string,
  at: Date,
  attempt: number,
): Record<string, unknown> {
  const values: Record<string, string> = {
    '<aws.scheduler.scheduled-time>': at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    '<aws.scheduler.schedule-arn>': `arn:aws:scheduler:us-east-1:000000000000:schedule/default/${scheduleName}`,
    '<aws.scheduler.execution-id>': `${scheduleName}-${at.getTime()}`,
    '<aws.scheduler.attempt-number>': String(attempt),
  };
  const text = JSON.stringify(input).replace(/<aws\.scheduler\.[a-z-]+>/g, (m) => values[m] ?? m);
  return JSON.parse(text) as Record<string, unknown>;
}

export interface Scheduler {
  jobs(): string[];
  /** Invokes the job now with `{ ...Input, asOf? }`; `asOf` is a programme day (YYYY-MM-DD). */
  runJob(name: string, asOf?: string): Promise<unknown>;
  /** Next fire time per schedule (for logs and tests). */
  next(from?: Date): Array<{ job: string; at: Date | undefined }>;
  start(): void;
  stop(): void;
}

type Field = (v: number) => boolean;

/** Parses one cron field: `*`, `?`, `n`, `a-b`, `a,b`, `* /n`, `a-b/n`, `a/n` (no L/W/#). */
function field(spec: string, min: number, max: number, names: string[] = []): Field {
  if (spec === '*' || spec === '?') return () => true;
  const values = new Set<number>();
  const num = (s: string) => {
    const i = names.indexOf(s.toUpperCase());
    const n = i >= 0 ? i + min : Number(s);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`bad cron value "${s}"`);
    return n;
  };
  for (const part of spec.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText ? Number(stepText) : 1;
    if (!(step >= 1)) throw new Error(`bad cron step "${part}"`);
    let lo: number;
    let hi: number;
    if (range === '*') [lo, hi] = [min, max];
    else if (range.includes('-')) [lo, hi] = range.split('-').map(num) as [number, number];
    else [lo, hi] = [num(range), stepText ? max : num(range)];
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return (v) => values.has(v);
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock fields of `date` in `timeZone`. */
function wallClock(date: Date, timeZone: string) {
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, fmt);
  }
  const parts = fmt.formatToParts(date);
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  return {
    year: Number(get('year')),
    month: Number(get('month')),
    day: Number(get('day')),
    hour: Number(get('hour')),
    minute: Number(get('minute')),
    weekday: DAYS.indexOf(get('weekday').toUpperCase()) + 1, // EventBridge: 1 = SUN
  };
}

const sameWallClock = (a: ReturnType<typeof wallClock>, b: ReturnType<typeof wallClock>) =>
  a.year === b.year && a.month === b.month && a.day === b.day && a.hour === b.hour && a.minute === b.minute;

/** True when the wall-clock minute of `t` already occurred earlier (the repeat of a fall-back). */
function repeatedWallTime(t: number, timeZone: string): boolean {
  const w = wallClock(new Date(t), timeZone);
  return [30, 60, 120].some((m) => sameWallClock(wallClock(new Date(t - m * 60_000), timeZone), w));
}

/**
 * Next time strictly after `from` matching `cron(min hour dom month dow year)` or
 * `rate(n unit)` (rate: from `from`). Scans minute by minute over at most ~400 days.
 */
export function nextFire(expression: string, timeZone: string, from: Date): Date | undefined {
  const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (rate) {
    const unit = rate[2].startsWith('minute') ? 60_000 : rate[2].startsWith('hour') ? 3_600_000 : 86_400_000;
    return new Date(from.getTime() + Number(rate[1]) * unit);
  }
  const cron = /^cron\((.*)\)$/.exec(expression.trim());
  if (!cron) return undefined; // at(...) one-off schedules are not fired locally
  const f = cron[1].trim().split(/\s+/);
  if (f.length !== 6) throw new Error(`bad cron expression ${expression}`);
  const [mi, ho, dom, mon, dow, yr] = [
    field(f[0], 0, 59),
    field(f[1], 0, 23),
    field(f[2], 1, 31),
    field(f[3], 1, 12, MONTHS),
    field(f[4], 1, 7, DAYS),
    field(f[5], 1970, 2199),
  ];
  let t = Math.floor(from.getTime() / 60_000) * 60_000 + 60_000;
  for (let i = 0; i < 400 * 24 * 60; i++, t += 60_000) {
    const w = wallClock(new Date(t), timeZone);
    if (mi(w.minute) && ho(w.hour) && dom(w.day) && mon(w.month) && dow(w.weekday) && yr(w.year) && !repeatedWallTime(t, timeZone))
      return new Date(t);
    // Skip to the next hour when the minute field cannot match the rest of this hour.
    if (!ho(w.hour) || !dom(w.day) || !mon(w.month) || !dow(w.weekday)) t += (59 - w.minute) * 60_000;
  }
  return undefined;
}

export function createScheduler(schedules: LocalSchedule[], logOrOptions: ((msg: string) => void) | SchedulerOptions = {}): Scheduler {
  const opts: SchedulerOptions = typeof logOrOptions === 'function' ? { log: logOrOptions } : logOrOptions;
  const log = opts.log ?? (() => undefined);
  const retryDelays = opts.retryDelaysMs ?? [1000, 2000];
  const timers = new Map<string, NodeJS.Timeout>();
  let running = false;

  /** One scheduled run: the first attempt and, after failures, the retries (same scheduled time). */
  const fire = async (s: LocalSchedule, at: Date) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await s.invoke(withContextAttributes(s.input, s.name, at, 1));
        return;
      } catch (err) {
        const retriesLeft = retryDelays.length - (attempt - 1);
        log(`scheduler: ${s.job} failed (attempt ${attempt}): ${(err as Error).stack ?? err}`);
        if (retriesLeft <= 0 || !running) {
          log(
            `scheduler: ${s.job} run of ${at.toISOString()} given up after ${attempt} attempts (in AWS: its event goes to JobFailuresQueue)`,
          );
          return;
        }
        await new Promise((r) => setTimeout(r, retryDelays[attempt - 1]).unref());
      }
    }
  };

  const byJob = (name: string) => schedules.find((s) => s.job === name || s.name === name);

  const arm = (s: LocalSchedule, from: Date) => {
    const at = nextFire(s.expression, s.timezone, from);
    if (!at || !running) return;
    // setTimeout overflows past ~24.8 days; re-arm in steps.
    const delay = Math.min(at.getTime() - Date.now(), 2 ** 31 - 1);
    const timer = setTimeout(
      async () => {
        if (Date.now() + 1000 < at.getTime()) return arm(s, new Date());
        log(`scheduler: running ${s.job} (${s.expression} ${s.timezone})`);
        // The next run is armed now: a run being retried does not hold up the schedule.
        arm(s, at);
        await fire(s, at);
      },
      Math.max(0, delay),
    );
    timer.unref();
    timers.set(s.name, timer);
  };

  return {
    jobs: () => [...new Set(schedules.map((s) => s.job))],
    async runJob(name, asOf) {
      const s = byJob(name);
      if (!s)
        throw Object.assign(new Error(`unknown job "${name}"; jobs: ${[...new Set(schedules.map((x) => x.job))].join(', ')}`), {
          code: 'unknown_job',
        });
      if (asOf !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(asOf)) {
        throw Object.assign(new Error(`asOf must be a day YYYY-MM-DD, got "${asOf}"`), { code: 'bad_request' });
      }
      const input = withContextAttributes(s.input, s.name, new Date(), 1);
      return s.invoke(asOf ? { ...input, job: s.job, asOf } : { ...input, job: s.job });
    },
    next(from = new Date()) {
      return schedules.map((s) => ({ job: s.job, at: s.enabled ? nextFire(s.expression, s.timezone, from) : undefined }));
    },
    start() {
      running = true;
      for (const s of schedules) if (s.enabled) arm(s, new Date());
    },
    stop() {
      running = false;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    },
  };
}
