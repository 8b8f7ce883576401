// The chaos run's stand-in for functions/process-events.ts: the very same handler, run under the
// fault controller (test/chaos/faults.ts) when one is installed. The harness points the template's
// `memberflow:entry` of ProcessEventsFunction at this file, so the local event source mapping
// (batching, partial batch responses, bisect, retries, on-failure destination) drives it exactly
// as it drives the real one.
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { handler as processEvents } from '../../functions/process-events';
import { currentController } from './faults';

export const handler = async (event: KinesisStreamEvent, context?: Context): Promise<KinesisStreamBatchResponse> => {
  const controller = currentController();
  if (!controller) return processEvents(event, context);
  return controller.invoke(event, () => processEvents(event, context));
};
