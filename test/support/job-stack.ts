// The daily-job integration tests' fixture: a local stack of their own (no scheduler, no batching
// window, so a drain after a put or a job run sees everything applied), today T in the programme's
// time zone, and the calls they make: GET the API, run a job for a day, send events.
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';
import { dayString, todayIn } from '../../shared/days/days';

/** What a job run answers (shared/jobs/run-*.ts). */
export interface JobRun {
  days: number;
  candidates: number;
  commands: number;
}

/** Registers the stack's beforeAll/afterAll in the calling test file; `prefix` names its tables and streams. */
export function useJobStack(prefix: string, token: string) {
  let stack: LocalStack | undefined;
  beforeAll(async () => {
    stack = await attachLocalStack({
      endpoints: inject('endpoints'),
      prefix: `${prefix}${process.pid}-`,
      apiPort: 0,
      token,
      withScheduler: false,
      mappingOverrides: { maximumBatchingWindowInSeconds: 0 },
    });
  }, 120_000);
  afterAll(() => stack?.stop());

  const running = (): LocalStack => {
    if (!stack) throw new Error('the job stack is not started (use it inside a test)');
    return stack;
  };
  return {
    get stack() {
      return running();
    },
    /** Today in the programme's time zone (Asia/Shanghai). */
    T: todayIn('Asia/Shanghai'),
    at: (day: number, time = '09:00:00') => `${dayString(day)}T${time}+08:00`,
    async get(path: string) {
      const res = await fetch(`${running().apiUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status, path).toBe(200);
      return (await res.json()) as any;
    },
    async job(name: string, asOf: number): Promise<JobRun> {
      const out = (await running().runJob(name, dayString(asOf))) as JobRun;
      await running().drain();
      return out;
    },
    async send(events: object[]) {
      await running().putRecords(events.map((e) => JSON.stringify(e)));
      await running().drain();
    },
  };
}
