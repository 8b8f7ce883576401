// The local EventBridge Scheduler behaves as AWS documents it (issue 17 items 3 and 6; docs/aws.md):
// a fall-back hour fires once, the scheduled time is substituted into the input, and a failed run
// is retried twice with the same event.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createScheduler, nextFire, withContextAttributes, type LocalSchedule } from '../../infra/local/engine/scheduler';

afterEach(() => {
  vi.useRealTimers();
});

describe('daylight saving time', () => {
  it('fires once on a fall-back night (01:30 happens twice in New York on 2026-11-01)', () => {
    const expr = 'cron(30 1 * * ? *)';
    const first = nextFire(expr, 'America/New_York', new Date('2026-11-01T04:00:00Z'));
    expect(first?.toISOString()).toBe('2026-11-01T05:30:00.000Z'); // 01:30 EDT
    // Not 06:30Z (01:30 EST, the same wall-clock time again): the next day's.
    expect(nextFire(expr, 'America/New_York', first!)?.toISOString()).toBe('2026-11-02T06:30:00.000Z');
    // A schedule inside the repeated hour on a zone without DST is unaffected.
    expect(nextFire(expr, 'UTC', new Date('2026-11-01T01:30:00Z'))?.toISOString()).toBe('2026-11-02T01:30:00.000Z');
  });

  it('skips a time that does not exist (spring forward)', () => {
    expect(nextFire('cron(30 2 * * ? *)', 'America/New_York', new Date('2026-03-08T00:00:00Z'))?.toISOString()).toBe(
      '2026-03-09T06:30:00.000Z',
    );
  });
});

describe('context attributes', () => {
  it('substitutes the scheduled time (and the other attributes) in the input', () => {
    const input = { job: 'rfm', scheduledTime: '<aws.scheduler.scheduled-time>', n: 1 };
    expect(withContextAttributes(input, 'RfmSchedule', new Date('2026-12-01T16:45:00.000Z'), 1)).toEqual({
      job: 'rfm',
      scheduledTime: '2026-12-01T16:45:00Z',
      n: 1,
    });
  });
});

describe('a failed run', () => {
  function everyMinute(invoke: LocalSchedule['invoke']): LocalSchedule {
    return {
      name: 'RfmSchedule',
      job: 'rfm',
      expression: 'cron(* * * * ? *)',
      timezone: 'UTC',
      input: { job: 'rfm', scheduledTime: '<aws.scheduler.scheduled-time>' },
      enabled: true,
      invoke,
    };
  }

  it('is retried twice with the same event (Lambda asynchronous retries), then given up', async () => {
    vi.useFakeTimers({ now: new Date('2026-12-01T00:00:30Z') });
    const events: unknown[] = [];
    const logs: string[] = [];
    const scheduler = createScheduler(
      [
        everyMinute(async (e) => {
          events.push(e);
          if (events.length < 3) throw new Error(`boom ${events.length}`);
          return 'ok';
        }),
      ],
      { retryDelaysMs: [1000, 2000], log: (m) => logs.push(m) },
    );
    scheduler.start();
    await vi.advanceTimersByTimeAsync(30_000); // 00:01:00, the first attempt fails
    expect(events).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000); // first retry fails
    expect(events).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(2000); // second retry succeeds
    expect(events).toEqual(Array(3).fill({ job: 'rfm', scheduledTime: '2026-12-01T00:01:00Z' }));
    expect(logs.filter((l) => l.includes('given up'))).toEqual([]);
    scheduler.stop();
  });

  it('gives up after three attempts', async () => {
    vi.useFakeTimers({ now: new Date('2026-12-01T00:00:30Z') });
    let calls = 0;
    const logs: string[] = [];
    const scheduler = createScheduler(
      [
        everyMinute(async () => {
          calls++;
          throw new Error('always');
        }),
      ],
      { retryDelaysMs: [1000, 2000], log: (m) => logs.push(m) },
    );
    scheduler.start();
    await vi.advanceTimersByTimeAsync(30_000 + 1000 + 2000 + 500);
    expect(calls).toBe(3);
    expect(logs.filter((l) => l.includes('given up after 3 attempts'))).toHaveLength(1);
    scheduler.stop();
  });
});
