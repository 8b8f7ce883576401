// The chaos run's stand-in for functions/process-events.ts: the very same handler, run under the
// fault controller (harness/chaos/faults.ts) when one is installed. The harness points the template's
// `memberflow:entry` of ProcessEventsFunction at this file, so the local event source mapping
// (batching, partial batch responses, bisect, retries, on-failure destination) drives it exactly
// as it drives the real one.
//
// With the retry clock on (`--retry-after-midnight`), every redelivery of records already
// delivered runs with the wall clock moved to just after the next midnight in the programme's
// time zone: a retry that lands on the next day must recompute what the first attempt computed.
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { atTime } from '../../bench/clock';
import { handler as processEvents } from '../../functions/process-events';
import { compareSeq } from '../../shared/stream/position';
import { currentController } from './faults';

interface RetryClock {
  /** The wall-clock time a retry starting at `now` runs at. */
  shift: (now: number) => number;
  retries: number;
  /** Highest sequence number delivered per shard. */
  highest: Map<string, string>;
}

const KEY = Symbol.for('memberflow.chaos.retryClock');

export function installRetryClock(shift: ((now: number) => number) | undefined): RetryClock | undefined {
  const clock = shift ? { shift, retries: 0, highest: new Map<string, string>() } : undefined;
  (globalThis as Record<symbol, unknown>)[KEY] = clock;
  return clock;
}

const retryClock = () => (globalThis as Record<symbol, unknown>)[KEY] as RetryClock | undefined;

/** True when the batch starts at or before what its shard already delivered (a redelivery). */
function isRedelivery(clock: RetryClock, event: KinesisStreamEvent): boolean {
  const first = event.Records[0];
  if (!first) return false;
  const shard = first.eventID.slice(0, first.eventID.indexOf(':'));
  const last = event.Records[event.Records.length - 1].kinesis.sequenceNumber;
  const seen = clock.highest.get(shard);
  if (seen === undefined || compareSeq(last, seen) > 0) clock.highest.set(shard, last);
  return seen !== undefined && compareSeq(first.kinesis.sequenceNumber, seen) <= 0;
}

export const handler = async (event: KinesisStreamEvent, context?: Context): Promise<KinesisStreamBatchResponse> => {
  const controller = currentController();
  const run = () => (controller ? controller.invoke(event, () => processEvents(event, context)) : processEvents(event, context));
  const clock = retryClock();
  if (clock && isRedelivery(clock, event)) {
    clock.retries++;
    return atTime(clock.shift(Date.now()), run);
  }
  return run();
};
