// Events consumer: Kinesis EventsStream → members, ledger and quarantine (one write per member per batch).
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { processBatch } from '../shared/batch/process-batch';
import { loadProgram } from '../shared/programme/load';
import { commandKey } from './adapters/command-key';
import { toStreamRecords } from './adapters/kinesis-records';
import { erasureAdapter } from './adapters/erasure-store';
import { mergeRequests } from './adapters/merge-store';
import { stores } from './adapters/stores';
import { createLogger } from './adapters/logger';

const logger = createLogger();

export const handler = async (event: KinesisStreamEvent, context?: Context): Promise<KinesisStreamBatchResponse> => {
  if (context) logger.addContext(context);
  const result = await processBatch(toStreamRecords(event), {
    ...stores(),
    erasure: await erasureAdapter(),
    commands: await commandKey(),
    merges: mergeRequests(),
    program: loadProgram(),
    // Error messages only: they never carry member data.
    onMemberError: (error) => logger.warn('member batch failed; will be retried', { error: (error as Error).message }),
  });
  logger.info('batch processed', { ...result, failedSeqs: result.failedSeqs.length });
  return { batchItemFailures: result.failedSeqs.map((seq) => ({ itemIdentifier: seq })) };
};
