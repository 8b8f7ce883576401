// The events' own clock. The benchmark replays a past month; the consumer takes "today" from the
// records' arrival times (future-event check, member status and segments as of today), and other
// code asks `Date.now()` (e.g. quarantine expiry). Replayed at today's
// wall-clock time, every member would look silent until the replay caught up, and the segment and
// action writes would be an artefact of the replay. Live, a batch is processed moments after its
// records arrive: so each invocation runs with `Date.now()` = its batch's arrival time + 1 s,
// scoped to that invocation (AsyncLocalStorage); everything else sees the real clock.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { KinesisStreamEvent } from 'aws-lambda';
import type { BatchPlan } from '../infra/local/engine/batch-plan';
import { decodeAggregate, isAggregated } from '../shared/stream/kpl-aggregate';

const clock = new AsyncLocalStorage<{ ms: number; patch: boolean }>();
const realNow = Date.now.bind(Date);
let installed = false;

/**
 * Runs `fn` with `Date.now()` returning `ms` inside it (and in everything it awaits). With
 * `patchNow: false` only `currentTime()` sees `ms` (the meter labels writes with it).
 */
export function atTime<T>(ms: number, fn: () => Promise<T>, opts: { patchNow?: boolean } = {}): Promise<T> {
  if (!installed) {
    Date.now = () => {
      const store = clock.getStore();
      return store?.patch ? store.ms : realNow();
    };
    installed = true;
  }
  return clock.run({ ms, patch: opts.patchNow !== false }, fn);
}

/** The time `atTime` set for the current invocation, if any. */
export const currentTime = (): number | undefined => clock.getStore()?.ms;

/** When a batch is processed live: 1 s after its last record arrived. */
export function batchTime(event: KinesisStreamEvent): number {
  let last = 0;
  for (const r of event.Records) last = Math.max(last, r.kinesis.approximateArrivalTimestamp);
  return Math.round(last * 1000) + 1000;
}

/** Sets each record's arrival time to 1 s after the event's `occurredAt` (the stream is live). */
export function arriveLive(plan: BatchPlan): void {
  for (const shard of plan.batches) {
    for (const batch of shard) {
      for (const record of batch.Records) {
        try {
          // An aggregated record is put when its last event is in: it arrives 1 s after the latest.
          const bytes = Buffer.from(record.kinesis.data, 'base64');
          const parts = isAggregated(bytes) ? decodeAggregate(bytes).map((r) => r.data) : [bytes];
          const at = Math.max(...parts.map((p) => Date.parse(JSON.parse(Buffer.from(p).toString('utf8')).occurredAt)));
          if (Number.isFinite(at)) record.kinesis.approximateArrivalTimestamp = at / 1000 + 1;
        } catch {
          /* not an event: keeps the plan's arrival time */
        }
      }
    }
  }
}
